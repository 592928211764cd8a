from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID

import msgspec

from server.bookings.schemas import PERIOD_CHECKS
from server.pagination import PageQuery
from server.schemas import AwareDatetime, Check, Out, Reason, Schema


class TimeOffCreate(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = PERIOD_CHECKS

    start: AwareDatetime
    end: AwareDatetime
    reason: Reason | None = None


class TimeOffOut(Out):
    id: UUID
    resource_id: UUID
    start: datetime
    end: datetime
    reason: str | None
    created_by: UUID
    created_at: datetime


class TimeOffQuery(PageQuery):
    """``from``/``to`` select the time off overlapping ``[from, to)``."""

    from_: AwareDatetime | None = msgspec.field(default=None, name="from")
    to: AwareDatetime | None = None


class TimeOffPage(Out):
    items: list[TimeOffOut]
    next_cursor: str | None
