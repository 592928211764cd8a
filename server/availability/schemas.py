from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from server.schemas import AwareDatetime, Check, Out, Schema, check_calendar_time

BlockingStatus = Literal["pending", "confirmed", "completed"]


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
    start: datetime
    end: datetime
    booking_id: UUID
    status: BlockingStatus


class AvailabilityOut(Out):
    """Free time (working hours minus blocking bookings, clipped to the window) and the
    blocking bookings that overlap the window, with their full periods."""

    resource_id: UUID
    free: list[FreePeriod]
    busy: list[BusyPeriod]
