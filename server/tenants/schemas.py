from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec

from server.schemas import Check, Out, Schema
from server.timezones import check_zone
from server.users.schemas import Email, Name, Password, UserOut

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{2,39}$")]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class TenantOut(Out):
    id: UUID
    name: str
    slug: str
    timezone: str
    created_at: datetime


class AdminCreate(Schema):
    email: Email
    name: Name
    password: Password


class TenantCreate(Schema):
    __checks__: ClassVar[Mapping[str, Check]] = {"timezone": check_zone}
    name: Name
    slug: Slug
    admin: AdminCreate
    timezone: TimeZone = "UTC"


class SignupOut(Out):
    tenant: TenantOut
    user: UserOut
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"
