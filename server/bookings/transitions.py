"""Status transitions of a booking: one table of actions, each a guarded update.

``act`` is what a user asks for (HTTP, socket RPC); ``transition`` is what a workflow job
applies to the booking it saw earlier (expected status and version), so a job that runs
twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from server import errors
from server.bookings import queries
from server.bookings.rules import check_target
from server.bookings.schemas import BookingOut
from server.bookings.service import booking_out, check_free, check_owner, lock_booking, on_conflict
from server.db import Tx
from server.events.service import record
from server.workflow.timers import TimerSettings, schedule_timers


@dataclass(frozen=True, slots=True)
class Action:
    """One transition: where it may start, what it sets, the event it records, and the
    least role that may ask for it (None: workflow only; ``operations.TRANSITIONS`` makes
    the others the HTTP routes and socket RPCs)."""

    allowed: tuple[str, ...]
    event: str
    role: str | None = None
    status: str | None = None
    escalate: bool = False
    moves: bool = False


ACTIONS: dict[str, Action] = {
    "approve": Action(("pending",), "booking.approved", "manager", status="confirmed"),
    "reject": Action(("pending",), "booking.rejected", "manager", status="rejected"),
    "cancel": Action(("pending", "confirmed"), "booking.cancelled", "member", status="cancelled"),
    "complete": Action(("confirmed",), "booking.completed", "manager", status="completed"),
    "assign": Action(("pending", "confirmed"), "booking.updated", "manager", moves=True),
    "expire": Action(("pending",), "booking.expired", status="expired"),
    "escalate": Action(("pending",), "booking.escalated", escalate=True),
}


async def _apply(
    tx: Tx,
    before: BookingOut,
    name: str,
    timers: TimerSettings,
    *,
    reason: str | None,
    resource_id: UUID | None,
) -> BookingOut:
    action = ACTIONS[name]
    if before.status not in action.allowed or (action.escalate and before.escalated_at):
        raise errors.InvalidTransition(f"Cannot {name} a {before.status} booking")
    if action.moves:
        if resource_id is None:
            raise errors.ValidationFailed.field("resource_id", "Field is required")
        context = await queries.booking_context(
            tx,
            resource_id=resource_id,
            project_id=None,
            start=before.start,
            end=before.end,
            excluding=before.id,
        )
        assert context is not None
        check_target(context, project_id=None, resource_changed=resource_id != before.resource_id)
        await check_free(
            tx,
            context,
            project_id=None,
            budget=None,
            start=before.start,
            end=before.end,
            excluding=before.id,
        )
    try:
        row = await queries.transition_booking(
            tx,
            before.id,
            expected_status=before.status,
            expected_version=before.version,
            status=action.status,
            reason=reason,
            escalate=action.escalate,
            resource_id=resource_id if action.moves else None,
        )
    except errors.BookingConflict as err:
        assert resource_id is not None
        on_conflict(
            tx,
            err,
            resource_id=resource_id,
            start=before.start,
            end=before.end,
            excluding=before.id,
        )
        raise
    if row is None:
        raise errors.Retryable("booking changed under its lock")
    after = booking_out(row)
    await schedule_timers(tx, before, after, settings=timers)
    await record(
        tx, type=action.event, entity_type="booking", entity_id=after.id, before=before,
        after=after,
    )  # fmt: skip
    return after


async def transition(
    tx: Tx,
    booking_id: UUID,
    action: str,
    *,
    expected_status: str,
    expected_version: int,
    reason: str | None = None,
    resource_id: UUID | None = None,
) -> BookingOut:
    """Apply ``action`` (a key of ``ACTIONS``) if the booking is still at the expected
    status and version, else 409 ``invalid_transition``; for jobs that saw it earlier."""
    before, timers = await lock_booking(tx, booking_id)
    if (before.status, before.version) != (expected_status, expected_version):
        raise errors.InvalidTransition(
            f"The booking is {before.status} at version {before.version} now"
        )
    return await _apply(tx, before, action, timers, reason=reason, resource_id=resource_id)


async def act(
    tx: Tx,
    booking_id: UUID,
    action: str,
    *,
    reason: str | None = None,
    resource_id: UUID | None = None,
) -> BookingOut:
    """A transition asked for by a user: members may cancel only their own bookings."""
    before, timers = await lock_booking(tx, booking_id)
    check_owner(tx, before)
    return await _apply(tx, before, action, timers, reason=reason, resource_id=resource_id)
