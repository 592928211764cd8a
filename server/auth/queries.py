from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def use_refresh_token(tx: Tx, token_hash: bytes) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["use_refresh_token"], tx.tenant_id, token_hash)


async def get_refresh_token(
    tx: Tx, token_hash: bytes, *, grace_seconds: float
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["get_refresh_token"], tx.tenant_id, token_hash, float(grace_seconds)
    )


async def revoke_token_family(tx: Tx, family_id: UUID) -> None:
    await tx.execute(QUERIES["revoke_token_family"], tx.tenant_id, family_id)


async def revoke_family_of_token(tx: Tx, token_hash: bytes, *, user_id: UUID) -> None:
    await tx.execute(QUERIES["revoke_family_of_token"], tx.tenant_id, token_hash, user_id)


async def revoke_user_tokens(tx: Tx, user_id: UUID) -> None:
    await tx.execute(QUERIES["revoke_user_tokens"], tx.tenant_id, user_id)
