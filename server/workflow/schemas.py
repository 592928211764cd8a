"""Tenant workflow settings as the API speaks them: durations are ISO 8601 strings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar

import msgspec

from server.errors import ValidationFailed
from server.schemas import Check, Out, Schema
from server.workflow.durations import DurationError, parse_duration

Duration = Annotated[str, msgspec.Meta(max_length=64, examples=["PT2H", "PT30S", "P1D"])]
MaxDays = Annotated[int, msgspec.Meta(ge=1, le=3650)]


def check_duration(value: str, field: str) -> None:
    try:
        parse_duration(value)
    except DurationError as exc:
        raise ValidationFailed.field(field, str(exc)) from None


class WorkflowSettingsOut(Out):
    approval_required: bool
    escalate_after: str | None
    expire_after: str | None
    remind_before: str | None
    auto_complete: bool
    max_booking_days: int
    updated_at: datetime


class WorkflowSettingsUpdate(Schema):
    """PUT replaces the settings: the five workflow fields are required (``null`` turns a
    clock off); ``max_booking_days`` left out keeps its value."""

    __checks__: ClassVar[Mapping[str, Check]] = dict.fromkeys(
        ("escalate_after", "expire_after", "remind_before"), check_duration
    )

    approval_required: bool
    escalate_after: Duration | None
    expire_after: Duration | None
    remind_before: Duration | None
    auto_complete: bool
    max_booking_days: MaxDays | msgspec.UnsetType = msgspec.UNSET
