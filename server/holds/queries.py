from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def release_expired_holds(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["release_expired_holds"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        start=start,
        end=end,
    )


async def insert_hold(
    tx: Tx,
    *,
    hold_id: UUID,
    resource_id: UUID,
    start: datetime,
    end: datetime,
    ttl: timedelta,
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_hold"],
        tenant_id=tx.tenant_id,
        hold_id=hold_id,
        resource_id=resource_id,
        holder_id=tx.ctx.user_id,
        start=start,
        end=end,
        ttl=ttl,
    )


async def lock_hold(tx: Tx, hold_id: UUID) -> asyncpg.Record | None:
    """Takes the advisory lock of the hold's resource, then the hold's row."""
    return await tx.fetchrow(QUERIES["lock_hold"], tenant_id=tx.tenant_id, hold_id=hold_id)


async def release_hold(tx: Tx, hold_id: UUID, *, reason: str) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["release_hold"], tenant_id=tx.tenant_id, hold_id=hold_id, reason=reason
    )


async def list_holds(
    tx: Tx, *, resource_id: UUID | None, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    after_start, after_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_holds"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        after_start=after_start,
        after_id=after_id,
        limit=limit,
    )


async def expired_holds(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["expired_holds"], limit=limit)
