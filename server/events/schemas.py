from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from server.schemas import Out

EVENT_TYPES = (
    "booking.created",
    "booking.updated",
    "booking.approved",
    "booking.rejected",
    "booking.cancelled",
    "booking.completed",
    "booking.expired",
    "booking.escalated",
    "resource.created",
    "resource.updated",
    "project.created",
    "project.updated",
    "hold.created",
    "hold.released",
    "time_off.created",
    "time_off.deleted",
)


class EventOut(Out):
    """One committed change: the payload of its Socket.IO event and of ``/v1/events``."""

    seq: int
    type: str
    at: datetime
    actor_id: UUID | None
    data: dict[str, Any]


class EventsPage(Out):
    events: list[EventOut]
    seq: int
