"""Which statuses block is defined once per language (``BLOCKING`` in Python,
``app_blocking(status)`` in SQL), and every other spelling of the set agrees with it: the
exclusion constraint's predicate and the dashboard's copy. The SQL function is inlined,
so the queries that call it still reach the constraint's partial index."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_type_hints
from uuid import UUID

import asyncpg
import httpx

from server.availability.schemas import BusyPeriod
from server.bookings.statuses import BLOCKING, BlockingStatus, Status
from server.db import Database
from server.sql import QUERIES
from tests.factories import as_app
from tests.server.bookings.common import add_history, world

ROOT = Path(__file__).resolve().parents[3]
HISTORY = 400  # past bookings of the resource, so an index is worth more than a scan
LITERAL = "status IN ('pending', 'confirmed', 'completed')"
WINDOW = (datetime(2031, 1, 5, 10, 30, tzinfo=UTC), datetime(2031, 1, 5, 11, 30, tzinfo=UTC))


def test_blocking_statuses_are_statuses_and_what_availability_reports() -> None:
    assert BLOCKING == ("pending", "confirmed", "completed")
    assert get_args(Status)[: len(BLOCKING)] == BLOCKING
    assert get_args(get_type_hints(BusyPeriod)["status"])[0] == BlockingStatus


async def test_sql_blocks_exactly_the_python_statuses(db: Database) -> None:
    async with db.pool.acquire() as conn:
        blocking = await conn.fetch(
            "SELECT s FROM unnest($1::text[]) s WHERE app_blocking(s)", list(get_args(Status))
        )
    assert tuple(row["s"] for row in blocking) == BLOCKING


async def test_the_exclusion_constraint_names_the_same_statuses(db: Database) -> None:
    """bookings_no_overlap keeps its literal list (0011 did not rebuild it)."""
    async with db.pool.acquire() as conn:
        definition = await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conname = 'bookings_no_overlap'"
        )
    predicate = definition.split(" WHERE ", 1)[1]
    assert "status = ANY (ARRAY[" in predicate, definition
    assert set(re.findall(r"'(\w+)'::text", predicate)) == set(BLOCKING), definition


def test_the_dashboard_greys_out_exactly_the_other_statuses() -> None:
    render = (ROOT / "server" / "dashboard" / "static" / "render.js").read_text()
    (listed,) = re.findall(r"const BLOCKING = new Set\(\[([^\]]*)\]\);", render)
    assert tuple(re.findall(r'"(\w+)"', listed)) == BLOCKING


async def _plan(conn: asyncpg.Connection, sql: str, *args: Any) -> str:
    rows = await conn.fetch(f"EXPLAIN (COSTS OFF) {sql}", *args)
    return "\n".join(row[0] for row in rows)


async def test_conflicts_read_through_the_partial_index_as_with_the_literal(
    client: httpx.AsyncClient, db: Database
) -> None:
    """``booking_conflicts`` says ``app_blocking(status)``: inlined, it is planned exactly as
    the literal list, so the constraint's partial index (predicate: that list) is proved
    usable. As the owner it is chosen, the period its index condition. As booking_app
    neither spelling gets the period into an index condition (``&&`` is not leakproof, so
    row-level security keeps it a filter); hence the definer functions of 0012."""
    w = await world(client)
    tenant, resource = UUID(w.tenant.id), UUID(w.resource["id"])
    query = QUERIES["booking_conflicts"]
    assert "app_blocking(status)" in query.sql
    literal = query.sql.replace("app_blocking(status)", LITERAL)
    args = query.args(
        tenant_id=tenant, resource_id=resource, start=WINDOW[0], end=WINDOW[1], excluding=None
    )
    async with db.pool.acquire() as conn:
        await add_history(conn, w, HISTORY)
        await conn.execute("ANALYZE bookings")
        owner = await _plan(conn, query.sql, *args)
        assert owner == await _plan(conn, literal, *args)
        async with conn.transaction():
            # Which index wins depends on the statistics of every test's bookings; without
            # a scan of the whole table to fall back on, one proved usable is taken.
            await conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            probe = await _plan(conn, query.sql, *args)
        async with conn.transaction():
            await as_app(conn, str(tenant))
            app = await _plan(conn, query.sql, *args)
            assert app == await _plan(conn, literal, *args)
            assert len(await conn.fetch(query.sql, *args)) == 2
    assert "app_blocking" not in owner + app + probe
    assert "Index Scan using bookings_no_overlap" in probe, probe
    assert "period &&" in probe.split("Index Cond", 1)[1], probe
    assert "status" not in probe.split("Index Cond", 1)[1], probe  # proved, not filtered
