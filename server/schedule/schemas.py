from __future__ import annotations

from uuid import UUID

import msgspec

from server.bookings.schemas import BookingOut
from server.holds.schemas import HoldOut
from server.resources.schemas import ResourceOut
from server.schemas import AwareDatetime, Out, Schema
from server.time_off.schemas import TimeOffOut


class ScheduleQuery(Schema):
    from_: AwareDatetime = msgspec.field(name="from")
    to: AwareDatetime
    resource_ids: list[UUID] = msgspec.field(default_factory=list)


class ScheduleOut(Out):
    """Apply every event with a larger ``seq`` to this snapshot to get the current state."""

    seq: int
    resources: list[ResourceOut]
    bookings: list[BookingOut]
    holds: list[HoldOut]
    time_off: list[TimeOffOut]
