from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from server.schemas import AwareDatetime, Schema


class CalendarQuery(Schema):
    from_: Annotated[
        AwareDatetime | None,
        Meta(description="Bookings ending after this time; default 30 days ago"),
    ] = msgspec.field(default=None, name="from")
    to: Annotated[
        AwareDatetime | None,
        Meta(description="Bookings starting before this time; default no end"),
    ] = None
