"""Fixed statement and round-trip counts: creates (as docs/bookings.md's table gives them),
and list endpoints at 1 and 100 rows."""

import asyncio
from pathlib import Path

import httpx

from tests.server.bookings.common import at, world
from tests.server.bookings.conftest import Counter

DOC = Path(__file__).resolve().parents[3] / "docs" / "bookings.md"


def _documented() -> dict[str, tuple[int, int]]:
    """docs/bookings.md's "What each create costs": row label → (statements, round trips)."""
    table = DOC.read_text().split("What each create costs", 1)[1].split("\n\n", 2)[1]
    rows: dict[str, tuple[int, int]] = {}
    for line in table.splitlines()[2:]:
        label, statements, trips = (cell.strip() for cell in line.strip("|").split("|"))
        # "2 (`booking_contexts`, create)": the number leads the cell.
        rows[label] = (int(statements.split()[0]), int(trips.split()[0]))
    return rows


COSTS = _documented()
PLAIN = COSTS["plain, or with a project budget (context known)"]
FIRST = COSTS["first create of a tenant in a process"]
LEARNT = COSTS["first create with a given project, or after the context changed"]
CLOCKS = COSTS["tenant with workflow clocks"]
STALE_CLOCKS = COSTS["after the context changed, in a tenant with workflow clocks"]
KEYED = COSTS["with `Idempotency-Key`"]


def test_the_documented_costs_are_all_measured() -> None:
    assert len(COSTS) == 6, COSTS


async def test_a_create_is_one_round_trip(client: httpx.AsyncClient, statements: Counter) -> None:
    w = await world(client)
    other = await w.resource_with(name="Other")
    statements.reset()
    await w.book(at("07:00"), at("08:00"))
    # The first create of a tenant in a process learns the contexts of its resources:
    # BEGIN, booking_contexts, create_booking, COMMIT.
    assert (statements.count, statements.round_trips) == FIRST, statements.statements
    for resource in (w.resource, other):
        statements.reset()
        await w.book(at("08:00"), at("09:00"), resource_id=resource["id"])
        # create_booking alone: role, tenant, lock, pre-check, number, seq, insert, audit,
        # event
        assert (statements.count, statements.round_trips) == PLAIN, statements.statements
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 5}, headers=w.admin
    )
    pid = project.json()["id"]
    statements.reset()
    await w.book(at("06:00"), at("06:30"), project_id=pid)
    # A context with a project is learnt on its own: answered "stale" with it, then written.
    assert (statements.count, statements.round_trips) == LEARNT, statements.statements
    statements.reset()
    await w.book(at("09:00"), at("10:00"), project_id=pid)
    # The budget (project row lock and sum) is inside the same statement.
    assert (statements.count, statements.round_trips) == PLAIN, statements.statements


async def test_what_adds_round_trips_to_a_create(
    client: httpx.AsyncClient, statements: Counter
) -> None:
    w = await world(client)
    await w.book(at("07:00"), at("08:00"))
    await w.settings(expire_after="PT1H", remind_before="PT1H")
    statements.reset()
    await w.book(at("10:00"), at("11:00"))
    # The kept context is stale (settings changed): answered without a write, then a
    # transaction for the booking and its timers: BEGIN, create, timers, COMMIT.
    assert (statements.count, statements.round_trips) == STALE_CLOCKS, statements.statements
    statements.reset()
    await w.book(at("11:00"), at("12:00"))
    assert (statements.count, statements.round_trips) == CLOCKS, statements.statements
    await w.settings(expire_after=None, remind_before=None)
    await w.book(at("07:00"), at("07:30"), expect=None)  # learns the new settings
    statements.reset()
    response = await client.post(
        "/v1/bookings",
        json={"resource_id": w.resource["id"], "start": at("12:00"), "end": at("13:00")},
        headers={**w.manager, "Idempotency-Key": "k1"},
    )
    assert response.status_code == 201
    # BEGIN, expire, claim, create, store, COMMIT
    assert (statements.count, statements.round_trips) == KEYED, statements.statements


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
