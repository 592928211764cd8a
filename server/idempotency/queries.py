from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def claim(tx: Tx, *, user_id: UUID, key: str, request_hash: bytes) -> bool:
    await tx.execute(
        QUERIES["expire_idempotency_key"], tenant_id=tx.tenant_id, user_id=user_id, key=key
    )
    claimed = await tx.fetchval(
        QUERIES["claim_idempotency_key"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        key=key,
        request_hash=request_hash,
    )
    return claimed is not None


async def get(tx: Tx, *, user_id: UUID, key: str) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["get_idempotency_key"], tenant_id=tx.tenant_id, user_id=user_id, key=key
    )


async def store(tx: Tx, *, user_id: UUID, key: str, status: int, body: bytes) -> None:
    await tx.execute(
        QUERIES["store_idempotent_response"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        key=key,
        status=status,
        body=body,
    )


async def store_error(
    tx: Tx, *, user_id: UUID, key: str, request_hash: bytes, status: int, body: bytes
) -> None:
    await tx.execute(
        QUERIES["store_idempotent_error"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        key=key,
        request_hash=request_hash,
        status=status,
        body=body,
    )
