from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from msgspec import Meta

from server.bookings.schemas import PERIOD_CHECKS, Note, Title
from server.pagination import PageQuery
from server.schemas import AwareDatetime, Check, Out, Schema

ReleaseReason = Literal["confirmed", "released", "expired"]


class HoldCreate(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = PERIOD_CHECKS

    resource_id: UUID
    start: AwareDatetime
    end: AwareDatetime
    ttl: Annotated[str, Meta(description="ISO 8601 duration, PT1M to PT1H", examples=["PT10M"])] = (
        "PT10M"
    )


class HoldConfirm(Schema):
    """The booking's fields; its resource and period are the hold's."""

    project_id: UUID | None = None
    title: Title = ""
    note: Note = ""
    status: Literal["pending", "confirmed"] | None = None


class HoldOut(Out):
    id: UUID
    resource_id: UUID
    start: datetime
    end: datetime
    holder_id: UUID
    expires_at: datetime
    created_at: datetime


class HoldReleasedOut(HoldOut):
    """The data of ``hold.released``: the hold, why it ended, and the booking confirming
    it made (null otherwise)."""

    reason: ReleaseReason
    released_at: datetime
    booking_id: UUID | None = None


class HoldQuery(PageQuery):
    resource_id: UUID | None = None


class HoldPage(Out):
    items: list[HoldOut]
    next_cursor: str | None
