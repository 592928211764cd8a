"""Availability and slot search read what blocks a resource through the period indexes
(``app_blocking_periods``, migration 0013), not by filtering the resource's history, and
only for the caller's tenant."""

import re
from datetime import UTC, datetime
from uuid import UUID

import httpx

from server.db import Database
from tests.factories import as_app
from tests.server.bookings.common import add_history, nested_plans, world

HISTORY = 300
READ = "SELECT * FROM app_blocking_periods($1, ARRAY[$2]::uuid[], $3, $4)"
WEEK = (datetime(2030, 1, 7, tzinfo=UTC), datetime(2030, 1, 14, tzinfo=UTC))


async def test_what_blocks_is_read_by_period_through_an_index(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    await w.book("2030-01-07T09:00:00Z", "2030-01-07T10:00:00Z")
    tenant, resource = UUID(w.tenant.id), UUID(w.resource["id"])
    async with db.pool.acquire() as conn:
        await add_history(conn, w, HISTORY)
        await conn.execute("ANALYZE bookings")
        plans = await nested_plans(conn, tenant, READ, tenant, resource, *WEEK)
    (read,) = [p for p in plans if "FROM bookings b" in p]
    bookings = read.split("Seq Scan on holds")[0].split("on holds")[0]
    assert "period &&" in bookings.split("Index Cond", 1)[-1], read
    removed = [int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", bookings)]
    assert all(n < HISTORY for n in removed), read


async def test_another_tenants_caller_gets_nothing(client: httpx.AsyncClient, db: Database) -> None:
    w, other = await world(client), await world(client)
    await w.book("2030-01-07T09:00:00Z", "2030-01-07T10:00:00Z")
    args = (UUID(w.tenant.id), UUID(w.resource["id"]), *WEEK)
    async with db.pool.acquire() as conn, conn.transaction():
        await as_app(conn, other.tenant.id)
        assert await conn.fetch(READ, *args) == []
        await conn.execute("SELECT set_config('app.tenant_id', $1::text, true)", w.tenant.id)
        assert [r["kind"] for r in await conn.fetch(READ, *args)] == ["booking"]
