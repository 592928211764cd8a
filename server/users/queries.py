from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_user(
    tx: Tx, *, user_id: UUID, email: str, name: str, role: str, password_hash: str
) -> asyncpg.Record:
    row = await tx.fetchrow(
        QUERIES["insert_user"], tx.tenant_id, user_id, email, name, role, password_hash
    )
    assert row is not None
    return row


async def get_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_user"], tx.tenant_id, user_id)
