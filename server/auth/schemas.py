from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.schemas import Out, Schema
from server.tenants.schemas import TenantOut
from server.users.schemas import Password, UserOut

# Loose on purpose: a login that does not match anything is 401, never a hint via 422.
LoginText = Annotated[str, msgspec.Meta(max_length=320)]
RefreshToken = Annotated[str, msgspec.Meta(max_length=200)]


class TokenPair(Out):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"


class LoginIn(Schema):
    tenant: LoginText
    email: LoginText
    password: Password


class RefreshIn(Schema):
    refresh_token: RefreshToken


class SessionOut(Out):
    """A token pair and the user it was issued to (login and refresh)."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserOut
    token_type: Literal["bearer"] = "bearer"


class MeOut(Out):
    user: UserOut
    tenant: TenantOut


class PasswordChange(Schema):
    current_password: Password
    new_password: Password


class PasswordResetRequest(Schema):
    tenant: LoginText
    email: LoginText


class PasswordResetConfirm(Schema):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Password


class PasswordResetAccepted(Out):
    """The same answer whether or not the account exists."""

    detail: str
