"""The guarantees checked after each fault of ``python -m bench chaos``, and its figures.

Read straight from the database as its superuser (RLS hides nothing): no overlaps, gapless
numbers and seq, each key stored at most once (exactly once when acknowledged), every
socket at the head with each event applied once and in order, every due timer fired once
and in order; from the clients' records: the error window and the longest wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

from bench.mirrors import Mirror, in_order_once
from bench.report import Check
from bench.verify import verify
from bench.writers import REFUSED, Write, Writers, failed

if TYPE_CHECKING:
    from bench.procs import Proc

# Per fault: the longest error window (seconds from the first to the last failed attempt)
# and the longest a booking may take from its first attempt to its final answer.
# A shared 2-core machine: a process restart alone takes 4-20 s of CPU-starved imports, so
# the wait bounds leave room for that; a Redis outage must not hold bookings up.
BOUNDS: dict[str, tuple[float, float]] = {
    "kill-serve": (2.0, 10.0),
    "restart-postgres": (5.0, 10.0),
    "stop-redis": (1.0, 5.0),
    "pause-redis": (1.0, 5.0),
    "kill-leader": (2.0, 10.0),
    "kill-worker": (0.0, 5.0),
}
SOCKETS_WITHIN = 15.0  # after the writers pause, for every socket to reach the head
TIMERS_WITHIN = 20.0  # for every overdue timer to be fired, after the writers pause
# Faults after which every event must reach the steady sockets as a live push, not only
# through sync: pub/sub keeps nothing while Redis is down, so not after those.
PUSHED_LIVE = {"kill-serve", "restart-postgres", "kill-leader", "kill-worker"}


def errors(
    fault: str, writers: Writers, begun: float, ended: float, figures: dict[str, float]
) -> list[Check]:
    attempts = writers.attempts_between(begun, ended + 120)
    bad = [at for at, status in attempts if failed(status)]
    refused = sum(1 for _, status in attempts if status == REFUSED)
    window = (bad[-1] - bad[0]) if bad else 0.0
    mine = [w for w in writers.writes if begun <= w.started < ended]
    waits = [(w.finished or ended) - w.started for w in mine]
    stall = max(waits, default=0.0)
    given_up = sum(1 for w in mine if w.status is None)
    figures |= {
        "writes": len(mine),
        "failed_attempts": len(bad),
        "refused": refused,
        "error_window_s": window,
        "longest_wait_s": stall,
        "gave_up": given_up,
    }
    window_bound, stall_bound = BOUNDS[fault]
    return [
        Check(
            name="error window bounded",
            ok=window <= window_bound,
            detail=f"{len(bad)} failed attempts over {window:.2f} s (bound {window_bound} s)",
        ),
        Check(
            name="every booking answered in time",
            ok=stall <= stall_bound and not given_up,
            detail=f"longest {stall:.2f} s (bound {stall_bound} s), {given_up} gave up",
        ),
    ]


async def heads(database_url: str, tenant_ids: Sequence[str]) -> dict[str, int]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT tenant_id::text AS id, event_seq FROM tenant_counters"
            " WHERE tenant_id = any($1::uuid[])",
            list(tenant_ids),
        )
    finally:
        await conn.close()
    return {row["id"]: row["event_seq"] for row in rows}


async def sockets(
    database_url: str,
    mirrors: list[Mirror],
    steady: list[Mirror],
    before: dict[str, int],
    fault: str,
    figures: dict[str, float],
) -> list[Check]:
    head = await heads(database_url, sorted({m.tenant_id for m in mirrors}))
    started = time.monotonic()

    def behind() -> list[Mirror]:
        return [m for m in mirrors if m.seq < head.get(m.tenant_id, 0)]

    def unpushed(m: Mirror) -> int:
        wanted = range(before.get(m.tenant_id, 0) + 1, head.get(m.tenant_id, 0) + 1)
        return sum(1 for seq in wanted if seq not in m.pushed)

    reached = SOCKETS_WITHIN
    while time.monotonic() - started < SOCKETS_WITHIN:
        if not behind():
            reached = min(reached, time.monotonic() - started)
            if not any(unpushed(m) for m in steady):
                break
        await asyncio.sleep(0.1)
    late = behind()
    disordered = [m.name for m in mirrors if not in_order_once(m.applied, m.seq)]
    missing = sum(unpushed(m) for m in steady)
    events = sum(head.get(t, 0) - before.get(t, 0) for t in head)
    figures |= {"sockets_at_head_s": reached, "events": events, "not_pushed_live": missing}
    checks = [
        Check(
            name="every socket reached the head",
            ok=not late,
            detail=f"{len(mirrors) - len(late)}/{len(mirrors)} in {reached:.1f} s"
            + (
                f"; behind: {[(m.name, m.seq, head[m.tenant_id]) for m in late][:3]}"
                if late
                else ""
            ),
        ),
        Check(
            name="every event applied once, in order",
            ok=not disordered,
            detail=f"{len(mirrors)} sockets"
            + (f"; out of order: {disordered[:3]}" if disordered else ""),
        ),
    ]
    if fault in PUSHED_LIVE:
        checks.append(
            Check(
                name="every event pushed live to the steady sockets",
                ok=missing == 0,
                detail=f"{len(steady)} sockets, {events} events, {missing} pushes missing"
                " (filled only by sync)",
            )
        )
    return checks


async def stored(database_url: str, tenant_ids: Sequence[str], writes: list[Write]) -> list[Check]:
    done = [w for w in writes if w.finished is not None or w.attempts]
    acked = [w.booking_id for w in done if w.booking_id is not None]
    checks = await verify(database_url, [UUID(t) for t in tenant_ids], acked)
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT title, count(*) AS n, min(id::text) AS id FROM bookings"
            " WHERE tenant_id = any($1::uuid[]) GROUP BY title",
            list(tenant_ids),
        )
    finally:
        await conn.close()
    by_key = {row["title"]: (row["n"], row["id"]) for row in rows}
    problems: list[str] = []
    for write in done:
        count, booking_id = by_key.get(write.key, (0, None))
        if write.status == 201 and (count != 1 or booking_id != write.booking_id):
            problems.append(f"acknowledged {write.key[:8]} stored {count} times")
        elif write.status not in (None, 201) and count != 0:
            problems.append(f"refused ({write.status}) {write.key[:8]} stored {count} times")
        elif write.status is None and count > 1:
            problems.append(f"unanswered {write.key[:8]} stored {count} times")
    answered = sum(1 for w in done if w.status is not None)
    checks.append(
        Check(
            name="acknowledged stored once, others at most once",
            ok=not problems,
            detail=f"{len(acked)} acknowledged, {answered - len(acked)} refused,"
            f" {len(done) - answered} unanswered" + (f"; {problems[:3]}" if problems else ""),
        )
    )
    return checks


async def timers(
    database_url: str, tenant_ids: Sequence[str], figures: dict[str, float]
) -> list[Check]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        started = time.monotonic()
        overdue = 0
        while time.monotonic() - started < TIMERS_WITHIN:
            overdue = await conn.fetchval(
                "SELECT count(*) FROM workflow_timers WHERE tenant_id = any($1::uuid[])"
                " AND state = 'pending' AND due_at <= now() - interval '1 second'",
                list(tenant_ids),
            )
            if not overdue:
                break
            await asyncio.sleep(0.2)
        figures["timers_caught_up_s"] = time.monotonic() - started
        rows = await conn.fetch(
            "SELECT b.id, b.status,"
            " count(*) FILTER (WHERE e.type = 'booking.escalated') AS escalated,"
            " count(*) FILTER (WHERE e.type = 'booking.expired') AS expired,"
            " min(e.seq) FILTER (WHERE e.type = 'booking.escalated') AS escalated_seq,"
            " min(e.seq) FILTER (WHERE e.type = 'booking.expired') AS expired_seq"
            " FROM bookings b LEFT JOIN events e"
            "  ON e.tenant_id = b.tenant_id AND e.entity_id = b.id"
            " WHERE b.tenant_id = any($1::uuid[]) GROUP BY b.id, b.status",
            list(tenant_ids),
        )
    finally:
        await conn.close()
    problems = []
    for row in rows:
        if row["escalated"] > 1 or row["expired"] > 1:
            problems.append(f"{row['id']} escalated {row['escalated']}x, expired {row['expired']}x")
        elif row["status"] == "expired" and (
            row["expired"] != 1 or not row["escalated"] or row["escalated_seq"] > row["expired_seq"]
        ):
            problems.append(f"{row['id']} expired without escalating first")
    fired = sum(row["escalated"] + row["expired"] for row in rows)
    figures["timers_fired"] = fired
    return [
        Check(
            name="every due timer fired once, in order",
            ok=not overdue and not problems,
            detail=f"{fired} fired over {len(rows)} bookings, {overdue} overdue"
            + (f"; {problems[:3]}" if problems else ""),
        )
    ]


def processes(procs: list[Proc], pids: dict[str, int], restarted: set[str]) -> Check:
    """The processes the fault did not kill kept running, and recovered by themselves."""
    dead = [p.name for p in procs if not p.alive()]
    replaced = [
        p.name for p in procs if p.name not in restarted and p.alive() and p.pid != pids[p.name]
    ]
    return Check(
        name="no process needed a restart",
        ok=not dead and not replaced,
        detail=f"{len(procs)} running; restarted by the fault: {sorted(restarted) or 'none'}"
        + (f"; dead: {dead}" if dead else ""),
    )


def describe(fault: str, figures: dict[str, float], checks: list[Check]) -> str:
    shown = ", ".join(
        f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}"
        for name, value in figures.items()
    )
    lines = [f"--- {fault}: {shown}"]
    lines += [f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in checks]
    return "\n".join(lines)
