from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_user(
    tx: Tx, *, user_id: UUID, email: str, name: str, role: str, password_hash: str
) -> asyncpg.Record:
    query = QUERIES["insert_user"]
    row = await tx.fetchrow(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            user_id=user_id,
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
        ),
    )
    assert row is not None
    return row


async def get_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    query = QUERIES["get_user"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id))


async def get_user_by_email(tx: Tx, email: str) -> asyncpg.Record | None:
    query = QUERIES["get_user_by_email"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, email=email))


async def lock_active_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    query = QUERIES["lock_active_user"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id))


async def get_user_for_update(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    query = QUERIES["get_user_for_update"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id))


async def lock_active_admins(tx: Tx) -> list[UUID]:
    query = QUERIES["lock_active_admins"]
    return [row["id"] for row in await tx.fetch(query.sql, *query.args(tenant_id=tx.tenant_id))]


async def set_password_hash(tx: Tx, user_id: UUID, password_hash: str) -> None:
    query = QUERIES["set_password_hash"]
    await tx.execute(
        query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id, password_hash=password_hash)
    )


async def list_users(
    tx: Tx, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    created_at, user_id = after if after is not None else (None, None)
    query = QUERIES["list_users"]
    return await tx.fetch(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id, after_created_at=created_at, after_id=user_id, limit=limit
        ),
    )


async def update_user(
    tx: Tx, user_id: UUID, *, name: str | None, role: str | None
) -> asyncpg.Record | None:
    query = QUERIES["update_user"]
    return await tx.fetchrow(
        query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id, name=name, role=role)
    )


async def deactivate_user(tx: Tx, user_id: UUID, *, reason: str) -> asyncpg.Record | None:
    query = QUERIES["deactivate_user"]
    return await tx.fetchrow(
        query.sql,
        *query.args(tenant_id=tx.tenant_id, user_id=user_id, by=tx.ctx.user_id, reason=reason),
    )


async def reactivate_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    query = QUERIES["reactivate_user"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id))


async def get_password_hash(tx: Tx, user_id: UUID) -> str | None:
    query = QUERIES["get_password_hash"]
    value = await tx.fetchval(query.sql, *query.args(tenant_id=tx.tenant_id, user_id=user_id))
    return value if isinstance(value, str) else None
