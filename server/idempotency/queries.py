from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def claim(tx: Tx, *, user_id: UUID, key: str, request_hash: bytes) -> bool:
    query = QUERIES["expire_idempotency_key"]
    await tx.execute(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id, key=key))
    query = QUERIES["claim_idempotency_key"]
    claimed = await tx.fetchval(
        query.sql,
        *query.args(tenant_id=tx.tenant_id, user_id=user_id, key=key, request_hash=request_hash),
    )
    return claimed is not None


async def get(tx: Tx, *, user_id: UUID, key: str) -> asyncpg.Record | None:
    query = QUERIES["get_idempotency_key"]
    return await tx.fetchrow(
        query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id, key=key)
    )


async def store(tx: Tx, *, user_id: UUID, key: str, status: int, body: bytes) -> None:
    query = QUERIES["store_idempotent_response"]
    await tx.execute(
        query.sql,
        *query.args(tenant_id=tx.tenant_id, user_id=user_id, key=key, status=status, body=body),
    )


async def store_error(
    tx: Tx, *, user_id: UUID, key: str, request_hash: bytes, status: int, body: bytes
) -> None:
    query = QUERIES["store_idempotent_error"]
    await tx.execute(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status=status,
            body=body,
        ),
    )
