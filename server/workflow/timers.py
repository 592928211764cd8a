"""Workflow timers of a booking, kept in step with it inside the booking's transaction.

Each write that changes a booking calls ``schedule_timers(tx, before, after)``: the timers
its new state wants (escalate and expire run from creation while it is pending, remind
counts back from its start while pending or confirmed, complete fires at its end when
confirmed and the tenant auto-completes) are inserted, pending timers it no longer wants
are cancelled, and each new timer is enqueued as a deferred ``fire_timer`` job after
commit. The rows are the truth; the jobs are the fast path (the sweeper fires the rest).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from server.db import Job, Tx
from server.sql import QUERIES


class TimedBooking(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def escalated_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """The tenant's workflow clocks, as read with the booking."""

    escalate_after: timedelta | None
    expire_after: timedelta | None
    remind_before: timedelta | None
    auto_complete: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TimerSettings:
        return cls(
            escalate_after=row["escalate_after"],
            expire_after=row["expire_after"],
            remind_before=row["remind_before"],
            auto_complete=bool(row["auto_complete"]),
        )

    @property
    def any(self) -> bool:
        return bool(
            self.escalate_after or self.expire_after or self.remind_before or self.auto_complete
        )


async def _settings(tx: Tx) -> TimerSettings:
    row = await tx.fetchrow(QUERIES["get_timer_settings"], tenant_id=tx.tenant_id)
    if row is None:
        return TimerSettings(None, None, None, False)
    return TimerSettings.from_row(row)


def wanted_timers(booking: TimedBooking, settings: TimerSettings) -> dict[str, datetime]:
    """{kind: due_at} of the timers ``booking`` in its current state should have."""
    wanted: dict[str, datetime] = {}
    if booking.status == "pending":
        if settings.escalate_after and booking.escalated_at is None:
            wanted["escalate"] = booking.created_at + settings.escalate_after
        if settings.expire_after:
            wanted["expire"] = booking.created_at + settings.expire_after
    if booking.status in ("pending", "confirmed") and settings.remind_before:
        if booking.start > datetime.now(UTC):
            wanted["remind"] = booking.start - settings.remind_before
    if booking.status == "confirmed" and settings.auto_complete:
        wanted["complete"] = booking.end
    return wanted


async def schedule_timers(
    tx: Tx,
    booking_before: TimedBooking | None,
    booking_after: TimedBooking,
    *,
    settings: TimerSettings | None = None,
) -> None:
    """Bring the booking's pending timers in line with its new state (see the module doc).

    Costs no statement when the tenant has no clock set; pass ``settings`` when the caller
    already read them.
    """
    if settings is None:
        settings = await _settings(tx)
    if not settings.any:
        return
    wanted = wanted_timers(booking_after, settings)
    if booking_before is not None:
        await tx.execute(
            QUERIES["refresh_booking_timers"],
            tenant_id=tx.tenant_id,
            booking_id=booking_after.id,
            kinds=list(wanted),
            due_ats=list(wanted.values()),
            booking_version=booking_after.version,
        )
    if not wanted:
        return
    added = await tx.fetch(
        QUERIES["insert_booking_timers"],
        tenant_id=tx.tenant_id,
        booking_id=booking_after.id,
        timer_ids=[uuid.uuid4() for _ in wanted],
        kinds=list(wanted),
        due_ats=list(wanted.values()),
        booking_version=booking_after.version,
    )
    for row in added:
        tx.enqueue(
            Job(
                name="fire_timer",
                args=(str(tx.tenant_id), str(row["id"])),
                job_id=f"{row['kind']}:{booking_after.id}:{booking_after.version}",
                defer_until=row["due_at"],
            )
        )
