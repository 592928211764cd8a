from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def head(tx: Tx) -> int:
    query = QUERIES["schedule_head"]
    value = await tx.fetchval(query.sql, *query.args(tenant_id=tx.tenant_id))
    return int(value or 0)


async def schedule_resources(tx: Tx, resource_ids: list[UUID] | None) -> list[asyncpg.Record]:
    query = QUERIES["schedule_resources"]
    return await tx.fetch(query.sql, *query.args(tenant_id=tx.tenant_id, resource_ids=resource_ids))


async def bookings(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime, *, limit: int
) -> list[asyncpg.Record]:
    query = QUERIES["schedule_bookings"]
    return await tx.fetch(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id, resource_ids=resource_ids, start=start, end=end, limit=limit
        ),
    )


async def holds(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    query = QUERIES["schedule_holds"]
    return await tx.fetch(
        query.sql,
        *query.args(tenant_id=tx.tenant_id, resource_ids=resource_ids, start=start, end=end),
    )


async def time_off(
    tx: Tx, resource_ids: list[UUID] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    query = QUERIES["schedule_time_off"]
    return await tx.fetch(
        query.sql,
        *query.args(tenant_id=tx.tenant_id, resource_ids=resource_ids, start=start, end=end),
    )
