"""Opaque refresh tokens: ``rt_<tenant hex>_<secret>`` (``server.auth.opaque``), stored as
SHA-256 hashes."""

from __future__ import annotations

import uuid
from uuid import UUID

from server.auth.opaque import digest, issue, tenant_of
from server.db import Tx
from server.sql import QUERIES

PREFIX = "rt_"


def parse_tenant(token: str) -> UUID | None:
    """The tenant a refresh token belongs to, or None when it is not one of ours."""
    return tenant_of(token, PREFIX)


async def new_refresh_token(
    tx: Tx, *, user_id: UUID, family_id: UUID | None, ttl_seconds: int
) -> str:
    token = issue(PREFIX, tx.tenant_id)
    await tx.execute(
        QUERIES["insert_refresh_token"],
        tenant_id=tx.tenant_id,
        token_id=uuid.uuid4(),
        user_id=user_id,
        family_id=family_id or uuid.uuid4(),
        token_hash=digest(token),
        ttl_seconds=float(ttl_seconds),
    )
    return token
