from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from server.bookings.statuses import Status
from server.pagination import PageQuery
from server.schemas import AwareDatetime, Check, Out, Reason, Schema, check_calendar_time

Title = Annotated[str, Meta(max_length=200)]
Note = Annotated[str, Meta(max_length=4000)]


class BookingOut(Out):
    id: UUID
    number: int
    resource_id: UUID
    project_id: UUID | None
    requester_id: UUID
    title: str
    note: str
    start: datetime
    end: datetime
    status: Status
    # The ``reason`` given to the last transition (null if none).
    status_reason: str | None
    # The series the booking was made in; null for a booking made alone.
    series_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    escalated_at: datetime | None


PERIOD_CHECKS: Mapping[str, Check] = dict.fromkeys(("start", "end"), check_calendar_time)


class BookingCreate(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = PERIOD_CHECKS

    resource_id: UUID
    start: AwareDatetime
    end: AwareDatetime
    project_id: UUID | None = None
    title: Title = ""
    note: Note = ""
    status: Literal["pending", "confirmed"] | None = None


class BookingUpdate(Schema):
    """A field left out keeps its value; ``project_id: null`` detaches the project."""

    __checks__: ClassVar[Mapping[str, Check]] = PERIOD_CHECKS
    start: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    end: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    resource_id: UUID | msgspec.UnsetType = msgspec.UNSET
    project_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    note: Note | msgspec.UnsetType = msgspec.UNSET


class TransitionBody(Schema):
    reason: Reason | None = None


class AssignBody(Schema):
    resource_id: UUID
    reason: Reason | None = None


class BookingQuery(PageQuery):
    resource_id: UUID | None = None
    project_id: UUID | None = None
    requester_id: UUID | None = None
    status: list[Status] = msgspec.field(default_factory=list)
    from_: AwareDatetime | None = msgspec.field(default=None, name="from")
    to: AwareDatetime | None = None


class BookingPage(Out):
    items: list[BookingOut]
    next_cursor: str | None


class ConflictOut(Out):
    """A blocking booking, or a live hold (``number`` null, ``status`` "held"); in a
    series' answer, ``occurrence_start`` names the occurrence it clashes with."""

    id: UUID
    number: int | None
    start: datetime
    end: datetime
    status: Status | Literal["held"]
    occurrence_start: datetime | msgspec.UnsetType = msgspec.UNSET


class TimeOffConflictOut(Out):
    id: UUID
    start: datetime
    end: datetime
    occurrence_start: datetime | msgspec.UnsetType = msgspec.UNSET
