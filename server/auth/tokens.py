"""Access tokens: JWT HS256 with every claim required and the algorithm pinned."""

from __future__ import annotations

import time
import uuid
from uuid import UUID

import jwt
import msgspec

from server.config import Settings
from server.errors import Unauthorized

ALGORITHM = "HS256"
ROLES = ("viewer", "member", "manager", "admin")
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "tid", "role", "jti"]


class Claims(msgspec.Struct, frozen=True, kw_only=True):
    sub: UUID
    tid: UUID
    role: str
    exp: int
    # Seconds with milliseconds (RFC 7519 allows fractions): a token made in the same
    # second as its user's cut-off, but after it, stays valid; one made before does not.
    iat: float
    jti: str
    # The login family (refresh tokens) the access token was issued with.
    fam: UUID | None = None


def issue_access_token(
    settings: Settings,
    *,
    user_id: UUID,
    tenant_id: UUID,
    role: str,
    family_id: UUID | None = None,
    now: float | None = None,
) -> str:
    issued = now if now is not None else time.time()
    payload = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "role": role,
        "iat": round(issued, 3),
        "exp": int(issued) + settings.access_token_ttl,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    if family_id is not None:
        payload["fam"] = str(family_id)
    return jwt.encode(payload, settings.require_jwt_secret(), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> Claims:
    """Verify signature, algorithm, expiry, issuer, audience and claims; else 401."""
    try:
        payload = jwt.decode(
            token,
            settings.require_jwt_secret(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": _REQUIRED},
        )
        claims = msgspec.convert(payload, Claims, strict=False)
    except (jwt.PyJWTError, msgspec.ValidationError):
        raise Unauthorized("The access token is missing, invalid or expired") from None
    if claims.role not in ROLES:
        raise Unauthorized("The access token is missing, invalid or expired")
    return claims


def role_at_least(role: str | None, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)
