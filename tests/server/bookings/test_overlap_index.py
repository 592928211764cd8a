"""The overlap check (migration 0012) finds a slot through the exclusion constraint's index
whatever the resource's history, and its definer functions answer only for the caller's
tenant."""

from uuid import UUID

import httpx

from server.db import Database
from tests.factories import as_app
from tests.server.bookings.common import add_history, at, nested_plans, world

HISTORY = 400  # past bookings of the resource the check must not read one by one
CONFLICTS = (
    "SELECT app_resource_conflicts($1, $2, $3::text::timestamptz, $4::text::timestamptz, NULL)"
)


async def test_the_check_is_an_index_condition_not_a_filter_over_history(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    tenant, resource = UUID(w.tenant.id), UUID(w.resource["id"])
    async with db.pool.acquire() as conn:
        await add_history(conn, w, HISTORY)
        # As autovacuum would after such a batch: with statistics that still think the
        # resource new, the planner may read its few rows by the (tenant, resource) b-tree.
        await conn.execute("ANALYZE bookings")
        # A free slot after the history, the common case: nothing found, so a plan that
        # read the resource's bookings one by one would read (and remove) all of them.
        plans = await nested_plans(
            conn,
            tenant,
            CONFLICTS,
            tenant,
            resource,
            "2032-06-07T10:30:00Z",
            "2032-06-07T11:30:00Z",
        )
    probes = [p for p in plans if "FROM bookings" in p and "EXISTS" in p.upper()]
    assert probes, plans
    probe = probes[0]
    assert "Index Cond" in probe and "period &&" in probe.split("Index Cond", 1)[1], probe
    assert "Rows Removed by Filter" not in probe, probe


async def test_definer_checks_answer_only_for_the_callers_tenant(
    client: httpx.AsyncClient, db: Database
) -> None:
    mine, theirs = await world(client), await world(client)
    await theirs.book(at("08:00"), at("09:00"))
    args = (UUID(theirs.tenant.id), UUID(theirs.resource["id"]))
    window = (at("07:00"), at("10:00"))
    async with db.pool.acquire() as conn, conn.transaction():
        await as_app(conn, mine.tenant.id)
        conflicts = await conn.fetchval(
            CONFLICTS,
            *args,
            *window,
        )
        periods = await conn.fetchval(
            "SELECT app_lock_resource_periods($1, $2, ARRAY[$3::text::timestamptz],"
            " ARRAY[$4::text::timestamptz])",
            *args,
            *window,
        )
    assert (conflicts, periods) == (None, None)
    async with db.pool.acquire() as conn, conn.transaction():
        await as_app(conn, theirs.tenant.id)
        seen = await conn.fetchval(
            CONFLICTS,
            *args,
            *window,
        )
    assert seen is not None and len(seen) == 1
