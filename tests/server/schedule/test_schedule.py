from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest

from server.availability import service as availability_service
from server.config import Settings
from server.db import Database
from server.schedule import service as schedule_service
from tests.factories import as_app, client_with, signup
from tests.server.bookings.common import add_history, at, nested_plans, world

# The week of 2030-01-07, as app_schedule_bookings is called by schedule_bookings.
READ = "SELECT * FROM app_schedule_bookings($1, NULL, $2, $3, 5001)"
WEEK = (datetime(2030, 1, 7, tzinfo=UTC), datetime(2030, 1, 14, tzinfo=UTC))


async def test_schedule_snapshot_and_replay(client: httpx.AsyncClient) -> None:
    w = await world(client)
    second = await w.resource_with(name="Second")
    a = (await w.book(at("08:00"), at("09:00"))).json()
    (await w.book(at("08:00"), at("09:00"), resource_id=second["id"])).json()
    await w.book(at("08:00", "2030-02-01"), at("09:00", "2030-02-01"))
    window = f"from={at('00:00')}&to={at('23:59')}"
    response = await client.get(f"/v1/schedule?{window}", headers=w.viewer)
    assert response.status_code == 200, response.text
    snap = response.json()
    head = (await client.get("/v1/events?since=0&limit=1", headers=w.viewer)).json()["seq"]
    assert snap["seq"] == head
    assert [r["name"] for r in snap["resources"]] == ["Room", "Second"]
    assert len(snap["bookings"]) == 2
    only = await client.get(
        f"/v1/schedule?{window}&resource_ids={w.resource['id']}", headers=w.viewer
    )
    assert [b["id"] for b in only.json()["bookings"]] == [a["id"]]
    assert [r["id"] for r in only.json()["resources"]] == [w.resource["id"]]
    cancelled = await client.post(f"/v1/bookings/{a['id']}/cancel", headers=w.manager)
    events = await client.get(f"/v1/events?since={snap['seq']}", headers=w.viewer)
    assert [(e["seq"], e["type"]) for e in events.json()["events"]] == [
        (snap["seq"] + 1, "booking.cancelled")
    ]
    assert events.json()["events"][0]["data"] == cancelled.json()
    other = await world(client)
    foreign = await client.get(
        f"/v1/schedule?{window}&resource_ids={other.resource['id']}", headers=w.viewer
    )
    assert foreign.status_code == 404
    missing = await client.get("/v1/schedule", headers=w.viewer)
    assert missing.status_code == 422


async def test_a_window_holding_too_many_bookings_is_a_clear_422(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(client)
    for hour in ("08:00", "09:00", "10:00"):
        await w.book(at(hour), at(hour.replace(":00", ":30")))
    monkeypatch.setattr(schedule_service, "MAX_BOOKINGS", 2)
    monkeypatch.setattr(availability_service, "MAX_BOOKINGS", 2)
    window = f"from={at('00:00')}&to={at('23:59')}"
    for path in ("/v1/schedule?", f"/v1/availability?resource_id={w.resource['id']}&"):
        response = await client.get(f"{path}{window}", headers=w.viewer)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_period"
        assert "more than 2 bookings" in response.json()["detail"]
    monkeypatch.setattr(schedule_service, "MAX_BOOKINGS", 3)
    assert (await client.get(f"/v1/schedule?{window}", headers=w.viewer)).status_code == 200


async def test_reads_are_limited_per_user(settings: Settings) -> None:
    async with client_with(settings, rate_limit_read="3/minute") as limited:
        tenant = await signup(limited)
        statuses = [
            (await limited.get("/v1/me", headers=tenant.headers)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]


async def test_the_week_is_read_through_the_period_index_not_the_tenants_history(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Migration 0013: as booking_app the period could not be an index condition (row-level
    security and a range operator that is not leakproof), so a week's schedule read the
    tenant's whole history; through app_schedule_bookings it is the index condition, and
    another tenant's caller gets nothing."""
    w = await world(client)
    await w.book("2030-01-07T09:00:00Z", "2030-01-07T10:00:00Z")
    tenant = UUID(w.tenant.id)
    async with db.pool.acquire() as conn:
        await add_history(conn, w, 300)
        await conn.execute("ANALYZE bookings")
        plans = await nested_plans(conn, tenant, READ, tenant, *WEEK)
    reads = [p for p in plans if "FROM bookings b" in p]
    assert reads, plans
    assert "period &&" in reads[0].split("Index Cond", 1)[-1], reads[0]
    assert "Rows Removed by Filter" not in reads[0], reads[0]
    other = await world(client)
    async with db.pool.acquire() as conn, conn.transaction():
        await as_app(conn, other.tenant.id)
        assert await conn.fetch(READ, tenant, *WEEK) == []
        await conn.execute("SELECT set_config('app.tenant_id', $1::text, true)", w.tenant.id)
        assert len(await conn.fetch(READ, tenant, *WEEK)) == 1
