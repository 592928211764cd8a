from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from server.bookings.statuses import BlockingStatus
from server.schemas import AwareDatetime, Check, Limit, Out, Schema, check_calendar_time


class AvailabilityQuery(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = dict.fromkeys(("from", "to"), check_calendar_time)

    resource_id: Annotated[UUID, Meta(description="The resource to look at")]
    from_: Annotated[
        AwareDatetime, Meta(description="Window start, RFC 3339 with an offset (inclusive)")
    ] = msgspec.field(name="from")
    to: Annotated[
        AwareDatetime,
        Meta(description="Window end, RFC 3339 with an offset (exclusive); at most 93 days on"),
    ]


class FreePeriod(Out):
    start: datetime
    end: datetime


class BusyPeriod(Out):
    """A blocking booking (``booking_id``), a live hold (``hold_id``, status "held") or
    time off (``time_off_id``, status "time_off")."""

    start: datetime
    end: datetime
    status: BlockingStatus | Literal["held", "time_off"]
    booking_id: UUID | msgspec.UnsetType = msgspec.UNSET
    hold_id: UUID | msgspec.UnsetType = msgspec.UNSET
    time_off_id: UUID | msgspec.UnsetType = msgspec.UNSET


class AvailabilityOut(Out):
    """Free time (working hours minus blocking bookings, live holds and time off, clipped
    to the window) and what blocks the window, with full periods."""

    resource_id: UUID
    free: list[FreePeriod]
    busy: list[BusyPeriod]


class SearchQuery(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = dict.fromkeys(("from", "to"), check_calendar_time)

    from_: Annotated[
        AwareDatetime, Meta(description="Window start; slot starts are from + k * step")
    ] = msgspec.field(name="from")
    to: Annotated[AwareDatetime, Meta(description="Window end (exclusive); at most 93 days on")]
    duration: Annotated[str, Meta(description="Slot length, ISO 8601", examples=["PT1H"])]
    step: Annotated[str, Meta(description="Between slot starts, ISO 8601")] = "PT15M"
    skill: Annotated[list[str], Meta(description="Comma-separated: all required")] = msgspec.field(
        default_factory=list
    )
    kind: str | None = None
    resource_ids: list[UUID] = msgspec.field(default_factory=list)
    limit: Limit = 20


class Slot(Out):
    resource_id: UUID
    start: datetime
    end: datetime


class SearchOut(Out):
    """Free slots by (start, resource_id)."""

    slots: list[Slot]
