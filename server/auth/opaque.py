"""Opaque tokens that name their tenant: ``<prefix><tenant hex>_<secret>``, kept only as a
SHA-256 hash. The tenant id inside lets a request open the right tenant's transaction
before the token itself is looked up. Refresh tokens (``rt_``) and password-reset tokens
(``pr_``) are made and read here."""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID


def issue(prefix: str, tenant_id: UUID) -> str:
    return f"{prefix}{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> bytes:
    """What is stored and looked up instead of the token."""
    return hashlib.sha256(token.encode()).digest()


def tenant_of(token: str, prefix: str) -> UUID | None:
    """The tenant a token of this kind names, or None when it is not one of ours."""
    # The secret is base64url, which may itself contain "_".
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != prefix or not parts[2]:
        return None
    try:
        return UUID(hex=parts[1])
    except ValueError:
        return None
