"""After a run, straight from the database (as its superuser, so RLS does not hide rows):
no overlapping blocking bookings, every 201 present, gapless ``seq`` and booking numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from bench.report import Check
from server.bookings.statuses import BLOCKING


def find_overlaps(rows: Iterable[tuple[Any, datetime, datetime]]) -> list[tuple[Any, datetime]]:
    """``(resource, start, end)`` rows, sorted by resource then start → (resource, start) of
    each booking that begins before an earlier one of the same resource ended."""
    overlaps: list[tuple[Any, datetime]] = []
    current: Any = None
    latest_end: datetime | None = None
    for resource, start, end in rows:
        if resource != current:
            current, latest_end = resource, end
            continue
        assert latest_end is not None
        if start < latest_end:
            overlaps.append((resource, start))
        latest_end = max(latest_end, end)
    return overlaps


def sequence_problem(name: str, count: int, low: int | None, high: int | None, head: int) -> str:
    """Why ``count`` values from ``low`` to ``high`` are not exactly 1..head, or ''."""
    if count == 0:
        return "" if head == 0 else f"{name}: none stored but the counter is at {head}"
    if low != 1 or high != head or count != head:
        return f"{name}: {count} values from {low} to {high}, counter at {head}"
    return ""


def missing(expected: Iterable[str], found: Iterable[str]) -> list[str]:
    return sorted(set(expected) - set(found))


def race_problems(races: Sequence[tuple[str, int]]) -> list[str]:
    """Contested slots that did not have exactly one winner."""
    return [f"{slot} had {wins}" for slot, wins in races if wins != 1]


async def verify(
    database_url: str,
    tenant_ids: Sequence[UUID],
    created: Sequence[str],
    races: Sequence[tuple[str, int]] = (),
) -> list[Check]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return await _checks(conn, list(tenant_ids), created, races)
    finally:
        await conn.close()


async def _checks(
    conn: asyncpg.Connection,
    tenants: list[UUID],
    created: Sequence[str],
    races: Sequence[tuple[str, int]],
) -> list[Check]:
    rows = await conn.fetch(
        "SELECT tenant_id::text || '/' || resource_id::text AS resource,"
        " lower(period) AS start, upper(period) AS end FROM bookings"
        " WHERE tenant_id = any($1::uuid[]) AND status = any($2::text[])"
        " ORDER BY tenant_id, resource_id, lower(period)",
        tenants,
        list(BLOCKING),
    )
    overlaps = find_overlaps((r["resource"], r["start"], r["end"]) for r in rows)
    checks = [
        Check(
            name="no overlapping blocking bookings",
            ok=not overlaps,
            detail=f"{len(rows)} blocking bookings, {len(overlaps)} overlaps",
        )
    ]
    found = await conn.fetch(
        "SELECT id::text AS id FROM bookings WHERE id = any($1::uuid[])", list(created)
    )
    lost = missing(created, (r["id"] for r in found))
    checks.append(
        Check(
            name="every 201 is in the database",
            ok=not lost,
            detail=f"{len(created) - len(lost)}/{len(created)} found"
            + (f"; missing e.g. {lost[:3]}" if lost else ""),
        )
    )
    checks.append(await _sequences(conn, tenants))
    if races:
        problems = race_problems(races)
        checks.append(
            Check(
                name="exactly one success per contested slot",
                ok=not problems,
                detail=f"{len(races)} slots" + (f"; {problems[:3]}" if problems else ""),
            )
        )
    return checks


async def _sequences(conn: asyncpg.Connection, tenants: list[UUID]) -> Check:
    rows = await conn.fetch(
        "SELECT c.tenant_id, c.event_seq, c.booking_number,"
        " e.n AS events, e.lo AS seq_lo, e.hi AS seq_hi,"
        " b.n AS bookings, b.lo AS num_lo, b.hi AS num_hi"
        " FROM tenant_counters c"
        " LEFT JOIN LATERAL (SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events"
        "   WHERE tenant_id = c.tenant_id) e ON true"
        " LEFT JOIN LATERAL (SELECT count(*) AS n, min(number) AS lo, max(number) AS hi"
        "   FROM bookings WHERE tenant_id = c.tenant_id) b ON true"
        " WHERE c.tenant_id = any($1::uuid[])",
        tenants,
    )
    problems = [
        problem
        for r in rows
        for problem in (
            sequence_problem("seq", r["events"], r["seq_lo"], r["seq_hi"], r["event_seq"]),
            sequence_problem(
                "number", r["bookings"], r["num_lo"], r["num_hi"], r["booking_number"]
            ),
        )
        if problem
    ]
    events = sum(r["events"] for r in rows)
    return Check(
        name="seq and booking numbers gapless per tenant",
        ok=not problems and len(rows) == len(tenants),
        detail=f"{len(rows)} tenants, {events} events" + (f"; {problems[:3]}" if problems else ""),
    )
