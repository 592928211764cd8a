from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from server.pagination import PageQuery
from server.schemas import Out, Schema

Name = Annotated[str, Meta(min_length=1, max_length=200)]
Code = Annotated[str, Meta(min_length=1, max_length=40, examples=["ACME-7"])]
Hours = Annotated[float, Meta(ge=0, le=1_000_000_000, description="Hours, 2 decimals")]


class ProjectOut(Out):
    id: UUID
    name: str
    code: str | None
    budget_hours: float | None
    booked_hours: float
    remaining_hours: float | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivated_by: UUID | None
    deactivation_reason: str | None


class ProjectCreate(Schema):
    name: Name
    code: Code | None = None
    budget_hours: Hours | None = None


class ProjectUpdate(Schema):
    """A field left out keeps its value; ``null`` clears ``code`` or ``budget_hours``."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    code: Code | msgspec.UnsetType | None = msgspec.UNSET
    budget_hours: Hours | msgspec.UnsetType | None = msgspec.UNSET


class ProjectQuery(PageQuery):
    active: bool | None = None


class ProjectPage(Out):
    items: list[ProjectOut]
    next_cursor: str | None
