from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from server.bookings.schemas import BookingCreate, BookingOut
from server.schemas import AwareDatetime, Check, Out, Reason, Schema, check_calendar_time

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_OCCURRENCES = 366


class Recurrence(Schema):
    """An RFC 5545 rule: exactly one of ``count`` and ``until`` (inclusive)."""

    __checks__: ClassVar[Mapping[str, Check]] = {"until": check_calendar_time}

    freq: Literal["daily", "weekly"]
    interval: Annotated[int, Meta(ge=1, le=52)] = 1
    by_weekday: Annotated[list[Weekday], Meta(min_length=1, max_length=7)] | None = None
    count: Annotated[int, Meta(ge=1, le=MAX_OCCURRENCES)] | None = None
    until: AwareDatetime | None = None


class SeriesCreate(BookingCreate, kw_only=True):
    """The body of ``POST /v1/bookings`` and the rule; ``start``/``end`` are the first
    occurrence."""

    recurrence: Recurrence


class RecurrenceOut(Out):
    """The rule as applied: ``by_weekday`` filled in for a weekly rule."""

    freq: Literal["daily", "weekly"]
    interval: int
    by_weekday: list[Weekday] | None
    count: int | None
    until: datetime | None


class SeriesOut(Out):
    id: UUID
    resource_id: UUID
    recurrence: RecurrenceOut
    bookings: list[BookingOut]


class SeriesCancel(Schema):
    """Cancels the pending and confirmed occurrences starting at or after ``from``
    (default: now)."""

    __checks__: ClassVar[Mapping[str, Check]] = {"from": check_calendar_time}

    from_: AwareDatetime | None = msgspec.field(default=None, name="from")
    reason: Reason | None = None
