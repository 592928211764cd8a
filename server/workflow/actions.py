"""What each timer kind does to its booking, inside the firing transaction.

Status changes go through the booking service's guarded ``transition`` (expected status
and version), so they write audit, event and timers exactly like a user's action.
"""

from __future__ import annotations

from server.bookings import transitions
from server.bookings.schemas import BookingOut
from server.db import Tx
from server.notifications import service as notifications

# The statuses in which a timer of each kind still applies.
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "escalate": ("pending",),
    "expire": ("pending",),
    "remind": ("pending", "confirmed"),
    "complete": ("confirmed",),
}
ALERTED_ROLES = ["manager", "admin"]


def applies(kind: str, booking: BookingOut) -> bool:
    if booking.status not in APPLIES_TO.get(kind, ()):
        return False
    return not (kind == "escalate" and booking.escalated_at is not None)


def _describe(booking: BookingOut) -> str:
    title = f" “{booking.title}”" if booking.title else ""
    return (
        f"Booking #{booking.number}{title}\n"
        f"From: {booking.start.isoformat()}\n"
        f"To:   {booking.end.isoformat()}\n"
        f"Status: {booking.status}\n"
        f"Id: {booking.id}\n"
    )


async def apply_action(tx: Tx, kind: str, booking: BookingOut) -> BookingOut:
    """Apply ``kind`` to ``booking`` (already checked with ``applies``); the booking after."""
    if kind == "remind":
        await notifications.notify_user(
            tx,
            user_id=booking.requester_id,
            kind="booking.reminder",
            subject=f"Reminder: booking #{booking.number} starts at {booking.start.isoformat()}",
            body=_describe(booking),
        )
        return booking
    after = await transitions.transition(
        tx, booking.id, kind, expected_status=booking.status, expected_version=booking.version
    )
    if kind == "escalate":
        await notifications.notify_roles(
            tx,
            roles=ALERTED_ROLES,
            kind="booking.escalated",
            subject=f"Booking #{after.number} is still waiting for approval",
            body=_describe(after),
        )
    elif kind == "expire":
        await notifications.notify_user(
            tx,
            user_id=after.requester_id,
            kind="booking.expired",
            subject=f"Booking #{after.number} expired without approval",
            body=_describe(after),
        )
    return after
