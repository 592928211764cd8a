from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from server.schemas import Out


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
