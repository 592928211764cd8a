"""Tenant workflow settings as the API speaks them: durations are ISO 8601 strings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from server.schemas import Out, Schema

Duration = Annotated[str, msgspec.Meta(max_length=64, examples=["PT2H", "PT30S", "P1D"])]
MaxDays = Annotated[int, msgspec.Meta(ge=1, le=3650)]


class WorkflowSettingsOut(Out):
    approval_required: bool
    escalate_after: str | None
    expire_after: str | None
    remind_before: str | None
    auto_complete: bool
    max_booking_days: int
    updated_at: datetime


class WorkflowSettingsUpdate(Schema):
    """A field left out keeps its current value; ``null`` turns a clock off."""

    approval_required: bool | msgspec.UnsetType = msgspec.UNSET
    escalate_after: Duration | msgspec.UnsetType | None = msgspec.UNSET
    expire_after: Duration | msgspec.UnsetType | None = msgspec.UNSET
    remind_before: Duration | msgspec.UnsetType | None = msgspec.UNSET
    auto_complete: bool | msgspec.UnsetType = msgspec.UNSET
    max_booking_days: MaxDays | msgspec.UnsetType = msgspec.UNSET
