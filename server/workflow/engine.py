"""Firing workflow timers: claim, apply the booking change, mark done, in one transaction.

Both the deferred job and the sweeper come through ``fire_timer``. The timer row is locked
``FOR UPDATE SKIP LOCKED`` and must still be pending; the booking change is a guarded
update on its status and version; the timer is marked in the same transaction. A crash
anywhere leaves either nothing or everything, and a second run finds nothing to do.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from server.bookings import service as bookings
from server.db import Context, Database, Tx
from server.metrics import TIMER_LAG
from server.workflow import actions, queries

log = logging.getLogger(__name__)

SWEEP_BATCH = 100


async def fire_timer(db: Database, tenant_id: UUID, timer_id: UUID) -> str:
    """Apply one timer if it is pending and due; returns what happened (for the job log)."""
    ctx = Context(tenant_id=tenant_id, request_id=f"timer:{timer_id}")

    async def work(tx: Tx) -> str:
        timer = await queries.claim_timer(tx, timer_id)
        if timer is None:
            return "skipped"
        if timer["due_at"] > datetime.now(UTC):
            # An early delivery: leave it pending for the job at its time or the sweeper.
            return "not_due"
        outcome = await apply(tx, timer)
        if outcome != "moot":
            due: datetime = timer["due_at"]

            async def observe_lag() -> None:
                TIMER_LAG.observe(max(0.0, (datetime.now(UTC) - due).total_seconds()))

            tx.after_commit.append(observe_lag)
        return outcome

    return await db.run(ctx, work)


async def apply(tx: Tx, timer: asyncpg.Record) -> str:
    """Run a claimed timer's action and close the timer, in the caller's transaction.

    A timer whose booking moved on (another status, a newer version than the timer was
    kept in step with, a reminder already sent for this start) is closed as cancelled.
    """
    kind: str = timer["kind"]
    booking = await bookings.get_booking(tx, timer["booking_id"])
    moot = booking.version != timer["booking_version"] or not actions.applies(kind, booking)
    if not moot and kind == "remind":
        moot = await queries.reminder_sent(tx, booking.id, timer["due_at"])
    if moot:
        await queries.finish_timer(tx, timer["id"], state="cancelled")
        return "moot"
    await actions.run(tx, kind, booking)
    # After the transition: rescheduling inside it cancels this timer, and we close it as done.
    await queries.finish_timer(tx, timer["id"], state="done")
    return kind


async def sweep(db: Database, *, deadline: float, batch: int = SWEEP_BATCH) -> int:
    """Fire every overdue timer (until ``deadline``, a monotonic time); returns how many."""
    applied = 0
    while time.monotonic() < deadline:
        due = await db.read(None, lambda tx: queries.due_timers(tx, limit=batch))
        if not due:
            break
        progressed = 0
        for row in due:
            if time.monotonic() >= deadline:
                break
            try:
                outcome = await fire_timer(db, row["tenant_id"], row["id"])
            except Exception:
                log.exception("timer %s (%s) failed; will retry", row["id"], row["kind"])
                continue
            if outcome not in ("skipped", "not_due"):
                progressed += 1
                if outcome != "moot":
                    applied += 1
        if progressed == 0 or len(due) < batch:
            break
    return applied
