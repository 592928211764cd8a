"""What each timer kind does to its booking, inside the firing transaction.

Status changes go through the booking service's guarded ``transition`` (expected status
and version), so they write audit, event and timers exactly like a user's action.
"""

from __future__ import annotations

import msgspec

from server.bookings import transitions
from server.bookings.schemas import BookingOut
from server.db import Tx
from server.notifications import rules
from server.notifications import service as notifications

# The statuses in which a timer of each kind still applies.
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "escalate": ("pending",),
    "expire": ("pending",),
    "remind": ("pending", "confirmed"),
    "complete": ("confirmed",),
}


def applies(kind: str, booking: BookingOut) -> bool:
    if booking.status not in APPLIES_TO.get(kind, ()):
        return False
    return not (kind == "escalate" and booking.escalated_at is not None)


async def apply_action(tx: Tx, kind: str, booking: BookingOut) -> BookingOut:
    """Apply ``kind`` to ``booking`` (already checked with ``applies``); the booking after."""
    if kind == "remind":
        await notifications.notify_booking(
            tx, "booking.reminder", msgspec.to_builtins(booking), actor_id=None
        )
        return booking
    after = await transitions.transition(
        tx, booking.id, kind, expected_status=booking.status, expected_version=booking.version
    )
    event = transitions.ACTIONS[kind].event
    if event in rules.TIMER_MAIL:
        # Mail of a timer's own transition goes out from here, not from the event.
        await notifications.notify_booking(tx, event, msgspec.to_builtins(after), actor_id=None)
    return after
