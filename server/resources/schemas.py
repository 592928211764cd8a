from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec
from msgspec import Meta

from server.availability.hours import Day, check_template
from server.pagination import PageQuery
from server.schemas import Check, Out, Schema
from server.timezones import check_zone

Clock = Annotated[str, Meta(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["09:00"])]
WorkingHours = dict[Day, Annotated[list[tuple[Clock, Clock]], Meta(max_length=24)]]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Kind = Annotated[str, Meta(min_length=1, max_length=40, examples=["person", "room"])]
Skill = Annotated[str, Meta(min_length=1, max_length=40)]
Skills = Annotated[list[Skill], Meta(max_length=50)]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64, examples=["Europe/Berlin"])]
CHECKS: Mapping[str, Check] = {"timezone": check_zone, "working_hours": check_template}


class ResourceOut(Out):
    id: UUID
    name: str
    kind: str
    timezone: str
    skills: list[str]
    working_hours: dict[str, list[list[str]]] | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivated_by: UUID | None
    deactivation_reason: str | None


class ResourceCreate(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = CHECKS
    name: Name
    kind: Kind
    timezone: TimeZone = "UTC"
    skills: Skills = msgspec.field(default_factory=list)
    working_hours: WorkingHours | None = None


class ResourceUpdate(Schema):
    """A field left out keeps its value; ``working_hours: null`` means always available."""

    __checks__: ClassVar[Mapping[str, Check]] = CHECKS

    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    timezone: TimeZone | msgspec.UnsetType = msgspec.UNSET
    skills: Skills | msgspec.UnsetType = msgspec.UNSET
    working_hours: WorkingHours | msgspec.UnsetType | None = msgspec.UNSET


class ResourceQuery(PageQuery):
    kind: Kind | None = None
    skill: Skill | None = None
    active: bool | None = None


class ResourcePage(Out):
    items: list[ResourceOut]
    next_cursor: str | None


def plain_hours(value: Any) -> dict[str, list[list[str]]] | None:
    if value is None:
        return None
    return {day: [list(pair) for pair in pairs] for day, pairs in value.items()}
