from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_time_off(
    tx: Tx,
    *,
    time_off_id: UUID,
    resource_id: UUID,
    start: datetime,
    end: datetime,
    reason: str | None,
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_time_off"],
        tenant_id=tx.tenant_id,
        time_off_id=time_off_id,
        resource_id=resource_id,
        start=start,
        end=end,
        reason=reason,
        created_by=tx.ctx.user_id,
    )


async def delete_time_off(tx: Tx, resource_id: UUID, time_off_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["delete_time_off"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        time_off_id=time_off_id,
    )


async def resource_exists(tx: Tx, resource_id: UUID) -> bool:
    return bool(
        await tx.fetchval(
            QUERIES["time_off_resource_exists"], tenant_id=tx.tenant_id, resource_id=resource_id
        )
    )


async def list_time_off(
    tx: Tx,
    *,
    resource_id: UUID,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    after_start, after_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_time_off"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        start=start,
        end=end,
        after_start=after_start,
        after_id=after_id,
        limit=limit,
    )
