from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_user(
    tx: Tx, *, user_id: UUID, email: str, name: str, role: str, password_hash: str
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_user"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
    )


async def get_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_user"], tenant_id=tx.tenant_id, user_id=user_id)


async def get_user_by_email(tx: Tx, email: str) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_user_by_email"], tenant_id=tx.tenant_id, email=email)


async def lock_active_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["lock_active_user"], tenant_id=tx.tenant_id, user_id=user_id)


async def get_user_for_update(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["get_user_for_update"], tenant_id=tx.tenant_id, user_id=user_id
    )


async def lock_active_admins(tx: Tx) -> list[UUID]:
    return [
        row["id"] for row in await tx.fetch(QUERIES["lock_active_admins"], tenant_id=tx.tenant_id)
    ]


async def set_password_hash(tx: Tx, user_id: UUID, password_hash: str) -> None:
    await tx.execute(
        QUERIES["set_password_hash"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        password_hash=password_hash,
    )


async def list_users(
    tx: Tx, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    created_at, user_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_users"],
        tenant_id=tx.tenant_id,
        after_created_at=created_at,
        after_id=user_id,
        limit=limit,
    )


async def update_user(
    tx: Tx, user_id: UUID, *, name: str | None, role: str | None
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["update_user"], tenant_id=tx.tenant_id, user_id=user_id, name=name, role=role
    )


async def deactivate_user(tx: Tx, user_id: UUID, *, reason: str) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["deactivate_user"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        by=tx.ctx.user_id,
        reason=reason,
    )


async def reactivate_user(tx: Tx, user_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["reactivate_user"], tenant_id=tx.tenant_id, user_id=user_id)


async def get_password_hash(tx: Tx, user_id: UUID) -> str | None:
    value = await tx.fetchval(QUERIES["get_password_hash"], tenant_id=tx.tenant_id, user_id=user_id)
    return value if isinstance(value, str) else None
