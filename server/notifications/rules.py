"""Which lifecycle events mail whom: the one table the mail dispatcher, the workflow
timers and ``/v1/me/notifications`` share.

Each kind is also the key of a user's preference. The kinds in ``FROM_EVENTS`` are read
from the events table after commit by the worker's mail dispatcher; the others are
queued by the workflow timer whose transaction causes them (escalation, expiry,
reminder), so each is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

MANAGER_ROLES = ["manager", "admin"]
# A created booking mails only in this status (the others need nobody's action).
CREATED_STATUS = "pending"
MOVE_FIELDS = frozenset({"start", "end", "resource_id"})


@dataclass(frozen=True, slots=True)
class EmailRule:
    audience: Literal["managers", "requester"]
    description: str


EMAIL: dict[str, EmailRule] = {
    "booking.created": EmailRule(
        "managers", "A new booking waits for approval (managers and admins)"
    ),
    "booking.approved": EmailRule("requester", "Someone else approved your booking"),
    "booking.rejected": EmailRule("requester", "Someone else rejected your booking"),
    "booking.cancelled": EmailRule("requester", "Someone else cancelled your booking"),
    "booking.updated": EmailRule(
        "requester", "Someone else moved your booking or assigned it to another resource"
    ),
    "booking.escalated": EmailRule(
        "managers", "A booking still waits for approval after the escalation time"
    ),
    "booking.expired": EmailRule("requester", "Your booking expired without approval"),
    "booking.reminder": EmailRule("requester", "Your booking starts soon (the workflow reminder)"),
}
# Queued by the workflow timer whose transaction causes them; the rest from events.
TIMER_MAIL = frozenset({"booking.escalated", "booking.expired", "booking.reminder"})
FROM_EVENTS = frozenset(EMAIL) - TIMER_MAIL


def wants_mail(
    kind: str, booking: dict[str, Any], actor_id: UUID | None, changed: frozenset[str]
) -> bool:
    """Whether the committed event ``kind`` (one of FROM_EVENTS) should send mail."""
    if kind == "booking.created":
        return bool(booking.get("status") == CREATED_STATUS)
    if actor_id is not None and str(actor_id) == str(booking.get("requester_id")):
        return False  # the requester did it themselves
    if kind == "booking.updated":
        return bool(changed & MOVE_FIELDS)
    return kind in FROM_EVENTS
