"""Access tokens: JWT HS256 with every claim required and the algorithm pinned."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from uuid import UUID

import jwt
import msgspec

from server.config import Settings
from server.errors import Unauthorized

ALGORITHM = "HS256"
ROLES = ("viewer", "member", "manager", "admin")
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "tid", "role", "jti"]
# Tokens whose signature and claims were verified, most recent last: a client sends the
# same token with every request until it renews it, and verifying (HMAC, base64, JSON)
# was a tenth of a create's CPU. Bounded; an entry is used only until its ``exp``.
VERIFIED_MAX = 4096


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


class _Verified:
    """An LRU of verified tokens per (secret, audience, issuer) and token."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, str, str, str], Claims] = OrderedDict()

    def get(self, key: tuple[str, str, str, str]) -> Claims | None:
        claims = self.entries.get(key)
        if claims is None:
            return None
        if claims.exp <= time.time():  # as PyJWT: expired once now reaches exp
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return claims

    def put(self, key: tuple[str, str, str, str], claims: Claims) -> None:
        self.entries[key] = claims
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


_verified = _Verified(VERIFIED_MAX)


def decode_access_token(settings: Settings, token: str) -> Claims:
    """Verify signature, algorithm, expiry, issuer, audience and claims; else 401. A token
    verified before is answered from memory until it expires."""
    secret = settings.require_jwt_secret()
    key = (secret, settings.jwt_audience, settings.jwt_issuer, token)
    known = _verified.get(key)
    if known is not None:
        return known
    claims = _verify(settings, secret, token)
    _verified.put(key, claims)
    return claims


def _verify(settings: Settings, secret: str, token: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            secret,
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
