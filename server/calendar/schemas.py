from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from server.schemas import AwareDatetime, Out, Schema


class CalendarQuery(Schema):
    from_: Annotated[
        AwareDatetime | None,
        Meta(description="Bookings ending after this time; default 30 days ago"),
    ] = msgspec.field(default=None, name="from")
    to: Annotated[
        AwareDatetime | None,
        Meta(description="Bookings starting before this time; default no end"),
    ] = None


class FeedCreate(Schema):
    resource_id: Annotated[
        UUID | None,
        Meta(description="A resource's blocking bookings; without it, the caller's own bookings"),
    ] = None


class FeedCreated(Out):
    """A new feed; ``url`` holds its secret and is shown only in this answer."""

    id: UUID
    url: Annotated[str, Meta(description="Absolute, secret; serves text/calendar without auth")]
    resource_id: UUID | None
    created_at: datetime


class FeedOut(Out):
    id: UUID
    resource_id: UUID | None
    created_at: datetime


class FeedPage(Out):
    items: list[FeedOut]
    next_cursor: str | None


class FeedQuery(Schema):
    token: Annotated[str, Meta(min_length=1, max_length=200, description="The feed's secret")]
