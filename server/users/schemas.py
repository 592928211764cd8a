from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from server.schemas import Out, Schema

Role = Literal["admin", "manager", "member", "viewer"]
Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class UserOut(Out):
    id: UUID
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivated_by: UUID | None
    deactivation_reason: str | None


class UserCreate(Schema):
    email: Email
    name: Name
    role: Role
    password: Password


class UserUpdate(Schema):
    name: Name | None = None
    role: Role | None = None


class UserDeactivate(Schema):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class UserPage(Out):
    items: list[UserOut]
    next_cursor: str | None
