from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def head(tx: Tx) -> int:
    value = await tx.fetchval(QUERIES["schedule_head"], tenant_id=tx.tenant_id)
    return int(value or 0)


async def schedule_resources(tx: Tx, resource_ids: list[UUID] | None) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["schedule_resources"], tenant_id=tx.tenant_id, resource_ids=resource_ids
    )


async def bookings(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime, *, limit: int
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["schedule_bookings"],
        tenant_id=tx.tenant_id,
        resource_ids=resource_ids,
        start=start,
        end=end,
        limit=limit,
    )


async def holds(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["schedule_holds"],
        tenant_id=tx.tenant_id,
        resource_ids=resource_ids,
        start=start,
        end=end,
    )


async def time_off(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["schedule_time_off"],
        tenant_id=tx.tenant_id,
        resource_ids=resource_ids,
        start=start,
        end=end,
    )
