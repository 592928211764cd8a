"""Races through the real HTTP stack: the database, not Python, keeps the guarantees."""

import asyncio
import random
from typing import Any
from uuid import UUID

import httpx

from server.db import Context, Database, Tx
from tests.server.bookings.common import World, at, world


async def _overlaps(db: Database, tenant_id: str) -> list[Any]:
    async def check(tx: Tx) -> list[Any]:
        return await tx.fetch(
            "SELECT a.id, b.id FROM bookings a JOIN bookings b"
            " ON a.tenant_id = b.tenant_id AND a.resource_id = b.resource_id AND a.id < b.id"
            " AND a.period && b.period"
            " WHERE a.tenant_id = $1 AND app_blocking(a.status)"
            " AND app_blocking(b.status)",
            UUID(tenant_id),
        )

    return await db.read(Context(tenant_id=UUID(tenant_id)), check)


async def test_fifty_racing_creates_one_wins(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)

    async def attempt(index: int) -> httpx.Response:
        minute = index % 30
        return await w.book(at(f"09:{minute:02}"), at(f"10:{minute:02}"), expect=None)

    responses = await asyncio.gather(*(attempt(i) for i in range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses
    winner = next(r.json() for r in responses if r.status_code == 201)
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == "booking_conflict"
            assert [c["id"] for c in body["conflicts"]] == [winner["id"]]
    assert await _overlaps(db, w.tenant.id) == []


async def test_budget_is_exact_under_concurrency(client: httpx.AsyncClient) -> None:
    w = await world(client)
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 3}, headers=w.admin
    )
    pid = project.json()["id"]
    responses = await asyncio.gather(
        *(w.book(at(f"{h:02}:00"), at(f"{h + 1:02}:00"), project_id=pid, expect=None)
          for h in range(8, 18))
    )  # fmt: skip
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 7, codes
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"budget_exceeded"}
    got = await client.get(f"/v1/projects/{pid}", headers=w.viewer)
    assert got.json()["booked_hours"] == 3
    assert got.json()["remaining_hours"] == 0


async def _client_history(w: World, rooms: list[str], seed: int, log: list[Any]) -> None:
    rng = random.Random(seed)
    mine: list[dict[str, Any]] = []
    for _ in range(8):
        roll = rng.random()
        start = rng.randrange(0, 20) * 30
        length = rng.choice((30, 60, 90))

        def clock(minutes: int) -> str:
            return at(f"{minutes // 60:02}:{minutes % 60:02}")

        if roll < 0.5 or not mine:
            headers = w.member if rng.random() < 0.5 else w.manager
            response = await w.book(
                clock(start), clock(start + length), headers=headers,
                resource_id=rng.choice(rooms), expect=None,
            )  # fmt: skip
            if response.status_code == 201:
                mine.append(response.json())
        else:
            target = rng.choice(mine)
            if roll < 0.7:
                response = await w.client.post(
                    f"/v1/bookings/{target['id']}/cancel", headers=w.manager
                )
            elif roll < 0.85:
                response = await w.client.patch(
                    f"/v1/bookings/{target['id']}",
                    json={"start": clock(start), "end": clock(start + length)},
                    headers=w.manager,
                )
            else:
                response = await w.client.post(
                    f"/v1/bookings/{target['id']}/approve", headers=w.manager
                )
        log.append((response.request.method, response.status_code, response.json()))


async def test_randomized_history_keeps_every_guarantee(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    await w.settings(approval_required=True)
    rooms = [w.resource["id"]] + [(await w.resource_with(name=f"R{i}"))["id"] for i in range(2)]
    head = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["seq"]
    log: list[Any] = []
    await asyncio.gather(*(_client_history(w, rooms, seed, log) for seed in range(20)))
    assert len(log) == 160
    assert all(status < 500 for _, status, _ in log), [x for x in log if x[1] >= 500]
    assert {body["code"] for _, status, body in log if status >= 400} <= {
        "booking_conflict", "invalid_transition", "contention",
    }  # fmt: skip
    assert await _overlaps(db, w.tenant.id) == []
    created = [body for method, status, body in log if status == 201]
    for booking in created:
        got = await client.get(f"/v1/bookings/{booking['id']}", headers=w.viewer)
        assert got.status_code == 200
    changes = [body for _, status, body in log if status in (200, 201)]
    events: list[Any] = []
    since = head
    for _ in range(10):
        page = (await client.get(f"/v1/events?since={since}&limit=1000", headers=w.viewer)).json()
        events += page["events"]
        if not page["events"]:
            break
        since = page["events"][-1]["seq"]
    assert [e["seq"] for e in events] == list(range(head + 1, head + 1 + len(changes)))
    last_version: dict[str, int] = {}
    for event in events:  # commit order: each booking's versions rise with seq
        data = event["data"]
        assert data["version"] > last_version.get(data["id"], 0)
        last_version[data["id"]] = data["version"]
    numbers = [b["number"] for b in created]
    assert len(numbers) == len(set(numbers))
