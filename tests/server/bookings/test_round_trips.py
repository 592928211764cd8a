"""Fixed statement counts: the create transaction, and list endpoints at 1 and 100 rows."""

import asyncio

import httpx

from tests.server.bookings.common import at, world
from tests.server.bookings.conftest import Counter


async def test_create_costs_two_statements_plus_set_config(
    client: httpx.AsyncClient, statements: Counter
) -> None:
    w = await world(client)
    statements.reset()
    await w.book(at("08:00"), at("09:00"))
    # booking_context (advisory lock, overlap pre-check, reads), insert_booking (number, insert,
    # audit, seq, event and NOTIFY in one statement)
    assert statements.count == 2, statements.statements
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 5}, headers=w.admin
    )
    statements.reset()
    await w.book(at("09:00"), at("10:00"), project_id=project.json()["id"])
    assert statements.count == 3, statements.statements  # + the project row lock
    await w.settings(expire_after="PT1H", remind_before="PT1H")
    statements.reset()
    await w.book(at("10:00"), at("11:00"))
    assert statements.count == 3, statements.statements  # + one insert of its timers
    await w.settings(expire_after=None, remind_before=None)
    statements.reset()
    response = await client.post(
        "/v1/bookings",
        json={"resource_id": w.resource["id"], "start": at("12:00"), "end": at("13:00")},
        headers={**w.manager, "Idempotency-Key": "k1"},
    )
    assert response.status_code == 201
    assert statements.count == 5, statements.statements  # + expire, claim and store the key


async def test_list_endpoints_cost_the_same_at_1_and_100_rows(
    client: httpx.AsyncClient, statements: Counter
) -> None:
    w = await world(client)
    project = (await client.post("/v1/projects", json={"name": "P"}, headers=w.admin)).json()
    await w.book(at("00:00"), at("00:10"), project_id=project["id"])
    urls = [
        "/v1/bookings?limit=200",
        f"/v1/bookings?resource_id={w.resource['id']}&status=confirmed&limit=200",
        "/v1/resources?limit=200",
        "/v1/projects?limit=200",
        "/v1/audit?limit=200",
        f"/v1/schedule?from={at('00:00')}&to={at('23:59')}",
    ]

    async def costs() -> dict[str, tuple[int, int]]:
        found = {}
        for url in urls:
            statements.reset()
            response = await client.get(url, headers=w.admin)
            assert response.status_code == 200, response.text
            body = response.json()
            rows = len(body.get("items", body.get("bookings", [])))
            found[url] = (statements.count, rows)
        return found

    small = await costs()
    semaphore = asyncio.Semaphore(10)

    async def fill(index: int) -> None:
        async with semaphore:
            start = f"{index // 6:02}:{index % 6 * 10:02}"
            await w.book(at(start), _plus10(start), project_id=project["id"])
            await w.resource_with(name=f"R{index:03}")
            await client.post("/v1/projects", json={"name": f"P{index:03}"}, headers=w.admin)

    await asyncio.gather(*(fill(i) for i in range(1, 100)))
    large = await costs()
    for url in urls:
        assert small[url][0] == large[url][0], (url, small[url], large[url])
        assert large[url][1] >= 100, (url, large[url])


def _plus10(clock: str) -> str:
    hours, minutes = map(int, clock.split(":"))
    total = hours * 60 + minutes + 10
    return at(f"{total // 60:02}:{total % 60:02}")
