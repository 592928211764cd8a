"""``commit: true``: every assignment as a confirmed booking in one transaction, or none."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from server.solver import service
from tests.server.solver.common import World, at, demand, world


async def test_commit_books_every_assignment_with_events_and_audit(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    first, second = await w.resource("A"), await w.resource("B")
    project = await w.project(budget_hours=10)
    before = (await client.get("/v1/events", headers=w.viewer)).json()["seq"]
    data = await w.solve(
        [
            demand("a", "PT2H", resource_ids=[first], project_id=project, title="Alpha"),
            demand("b", "PT1H", resource_ids=[second]),
        ],
        commit=True,
    )
    bookings = data["bookings"]
    assert [(b["resource_id"], b["start"], b["end"]) for b in bookings] == [
        (a["resource_id"], a["start"], a["end"]) for a in data["assignments"]
    ]
    assert {b["status"] for b in bookings} == {"confirmed"}
    assert bookings[0]["title"] == "Alpha" and bookings[0]["project_id"] == project
    assert bookings[1]["number"] == bookings[0]["number"] + 1
    events = (await client.get(f"/v1/events?since={before}", headers=w.viewer)).json()
    assert [(e["type"], e["data"]["id"]) for e in events["events"]] == [
        ("booking.created", b["id"]) for b in bookings
    ]
    assert [e["seq"] for e in events["events"]] == [before + 1, before + 2]
    assert events["events"][0]["data"] == bookings[0]
    audit = await client.get(f"/v1/audit?entity_id={bookings[1]['id']}", headers=w.admin)
    assert [e["action"] for e in audit.json()["items"]] == ["booking.created"]
    listed = await client.get(f"/v1/bookings?resource_id={first}", headers=w.viewer)
    assert [b["id"] for b in listed.json()["items"]] == [bookings[0]["id"]]
    got = await client.get(f"/v1/projects/{project}", headers=w.admin)
    assert got.json()["booked_hours"] == 2


async def test_an_idempotency_key_replays_the_first_commit(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await w.resource()
    body = {"demands": [demand("a")], "commit": True}
    headers = {**w.manager, "Idempotency-Key": "solve-1"}
    first = await client.post("/v1/schedule/solve", json=body, headers=headers)
    again = await client.post("/v1/schedule/solve", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["bookings"] == first.json()["bookings"]
    listed = await client.get("/v1/bookings", headers=w.viewer)
    assert len(listed.json()["items"]) == 1
    other = await client.post(
        "/v1/schedule/solve", json={**body, "objective": "balanced"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


async def _hold_and_book(
    database_url: str,
    w: World,
    resource_id: str,
    start: Callable[[], Awaitable[httpx.Response]],
) -> httpx.Response:
    """As a concurrent writer would: take the resource's lock, start the solve, wait
    until its commit queues behind the lock, then book the period and commit."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))",
                w.tenant.id,
                resource_id,
            )
            task = asyncio.create_task(start())
            for _ in range(400):
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database"
                    "                 WHERE datname = current_database())"
                )
                if waiting or task.done():
                    break
                await asyncio.sleep(0.05)
            assert not task.done(), "the commit did not wait for the resource's lock"
            number = await conn.fetchval(
                "UPDATE tenant_counters SET booking_number = booking_number + 1"
                " WHERE tenant_id = $1 RETURNING booking_number",
                uuid.UUID(w.tenant.id),
            )
            await conn.execute(
                "INSERT INTO bookings (tenant_id, id, number, resource_id, requester_id,"
                " period, status) VALUES ($1, $2, $3, $4, $5,"
                " tstzrange($6::timestamptz, $7::timestamptz, '[)'), 'confirmed')",
                uuid.UUID(w.tenant.id),
                uuid.uuid4(),
                number,
                uuid.UUID(resource_id),
                uuid.UUID(w.member_id),
                datetime.fromisoformat(at("09:00")),
                datetime.fromisoformat(at("10:00")),
            )
    finally:
        await conn.close()
    return await task


async def _conflicted_commit(
    client: httpx.AsyncClient, database_url: str
) -> tuple[World, httpx.Response, list[Any]]:
    w = await world(client)
    first, second = await w.resource("A"), await w.resource("B")
    demands = [
        demand("a", start="09:00", end="10:00", resource_ids=[first]),
        demand("b", start="09:00", end="10:00", resource_ids=[second]),
    ]
    response = await _hold_and_book(
        database_url, w, first, lambda: w.solve_raw(demands, commit=True)
    )
    listed = await client.get("/v1/bookings", headers=w.viewer)
    return w, response, listed.json()["items"]


async def test_a_concurrent_booking_refuses_the_whole_commit(
    client: httpx.AsyncClient, database_url: str
) -> None:
    w, response, bookings = await _conflicted_commit(client, database_url)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "booking_conflict"
    assert problem["refs"] == ["a"]
    assert [(c["start"], c["end"], c["status"]) for c in problem["conflicts"]] == [
        (at("09:00"), at("10:00"), "confirmed")
    ]
    assert [b["requester_id"] for b in bookings] == [w.member_id]  # only the concurrent one


async def test_the_exclusion_constraint_guards_a_commit_the_recheck_missed(
    client: httpx.AsyncClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def blind(*args: Any) -> None:
        return None

    monkeypatch.setattr(service, "recheck", blind)
    w, response, bookings = await _conflicted_commit(client, database_url)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "booking_conflict"
    assert [b["requester_id"] for b in bookings] == [w.member_id]
