"""Firing workflow timers: lock, apply the booking change, mark done, in one transaction.

Both the deferred job and the sweeper come through ``fire_timer``. It locks the booking
first (as every writer of a booking does), then the booking's due timers one at a time,
earliest first, so timers never deadlock with each other or with a user's transition, and
a timer never overtakes one that fell due before it (after an outage the expiry job may
run before the escalation's: the escalation still happens, first). The booking change is
a guarded update on its status and version; the timer is marked in the same transaction.
A crash anywhere leaves either nothing or everything, and a second run finds nothing to
do. A firing that still loses a race is retried until it applies or is moot.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from server import errors
from server.bookings import service as bookings
from server.db import Context, Database, Tx
from server.metrics import TIMER_LAG
from server.workflow import actions, queries

log = logging.getLogger(__name__)

SWEEP_BATCH = 100
# How long one firing keeps retrying lost races before it gives up (the job then asks arq
# to run it again; the sweeper is the last resort).
CONTENTION_PATIENCE = 10.0
# Timers one firing may apply for its booking: one pending per kind, and a transition can
# add a (moot) reminder again.
MAX_CHAIN = 2 * len(actions.APPLIES_TO)


async def fire_timer(
    db: Database, tenant_id: UUID, timer_id: UUID, *, patience: float = CONTENTION_PATIENCE
) -> str:
    """Apply one timer if it is pending and due (and, first, its booking's timers that fell
    due before it); returns what happened to this one (for the job log)."""
    ctx = Context(tenant_id=tenant_id, request_id=f"timer:{timer_id}")

    async def work(tx: Tx) -> str:
        timer = await queries.peek_timer(tx, timer_id)
        if timer is None:
            return "skipped"
        if not timer["due"]:
            # An early delivery: leave it pending for the job at its time or the sweeper.
            return "not_due"
        await bookings.lock_booking(tx, timer["booking_id"])
        for _ in range(MAX_CHAIN):
            due = await queries.next_due_timer(tx, timer["booking_id"])
            if due is None:
                break
            outcome = await apply(tx, due)
            if outcome != "moot":
                _observe_lag(tx, due["due_at"])
            if due["id"] == timer_id:
                return outcome
        # Fired by someone else while we waited for the booking.
        return "skipped"

    deadline = time.monotonic() + patience
    delay = 0.05
    while True:
        try:
            return await db.run(ctx, work, retries=3)
        except errors.Contention:
            if time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(2 * delay, 1.0)


def _observe_lag(tx: Tx, due: datetime) -> None:
    """After commit: how late past its due time a timer was applied."""

    async def observe() -> None:
        TIMER_LAG.observe(max(0.0, (datetime.now(UTC) - due).total_seconds()))

    tx.after_commit.append(observe)


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
    await actions.apply_action(tx, kind, booking)
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
