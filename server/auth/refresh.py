"""Opaque refresh tokens: ``rt_<tenant hex>_<secret>``, stored as SHA-256 hashes.

The tenant id inside the token lets a refresh open the right tenant transaction
before the token itself is looked up.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from uuid import UUID

from server.db import Tx
from server.sql import QUERIES

PREFIX = "rt_"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_tenant(token: str) -> UUID | None:
    """The tenant a refresh token belongs to, or None when it is not one of ours."""
    # The secret is base64url, which may itself contain "_".
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != PREFIX or not parts[2]:
        return None
    try:
        return UUID(hex=parts[1])
    except ValueError:
        return None


async def new_refresh_token(
    tx: Tx, *, user_id: UUID, family_id: UUID | None, ttl_seconds: int
) -> str:
    token = f"{PREFIX}{tx.tenant_id.hex}_{secrets.token_urlsafe(32)}"
    query = QUERIES["insert_refresh_token"]
    await tx.execute(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            token_id=uuid.uuid4(),
            user_id=user_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash(token),
            ttl_seconds=float(ttl_seconds),
        ),
    )
    return token
