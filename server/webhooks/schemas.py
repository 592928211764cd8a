from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta

from server.events.schemas import EVENT_TYPES
from server.schemas import Limit, Out, Schema

ALL_EVENTS = "*"
EventName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=60,
        description=f"An event type ({', '.join(EVENT_TYPES)}) or `*` for every event",
    ),
]


class WebhookCreate(Schema):
    url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=2000,
            description="http(s) url; loopback, private and link-local targets are refused"
            " unless BOOKING_WEBHOOK_ALLOW_PRIVATE=1",
        ),
    ]
    events: Annotated[list[EventName], Meta(min_length=1, max_length=50)]


class WebhookOut(Out):
    id: UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookPage(Out):
    items: list[WebhookOut]
    next_cursor: str | None


class WebhookCreated(Out):
    """The new webhook with its signing secret, shown only in this answer."""

    id: UUID
    url: str
    events: list[str]
    secret: str
    created_at: datetime


class DeliveryOut(Out):
    """One event's delivery to a webhook; ``last_status`` is null when no answer came."""

    id: UUID
    event_seq: int
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    response_excerpt: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryQuery(Schema):
    limit: Limit = 50
