from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def calendar_bookings(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime | None, limit: int
) -> list[asyncpg.Record]:
    """The resource's name joined with its newest blocking bookings in ``[start, end)``;
    no rows if the resource is unknown to this tenant."""
    return await tx.fetch(
        QUERIES["calendar_bookings"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        start=start,
        end=end,
        limit=limit,
    )


async def insert_feed(
    tx: Tx, *, feed_id: UUID, user_id: UUID, resource_id: UUID | None, secret_hash: bytes
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_calendar_feed"],
        tenant_id=tx.tenant_id,
        feed_id=feed_id,
        user_id=user_id,
        resource_id=resource_id,
        secret_hash=secret_hash,
    )


async def list_feeds(
    tx: Tx, user_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    created_at, feed_id = after or (None, None)
    return await tx.fetch(
        QUERIES["list_calendar_feeds"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        after_created_at=created_at,
        after_id=feed_id,
        limit=limit,
    )


async def delete_feed(tx: Tx, feed_id: UUID, user_id: UUID) -> bool:
    row = await tx.fetchval(
        QUERIES["delete_calendar_feed"], tenant_id=tx.tenant_id, feed_id=feed_id, user_id=user_id
    )
    return row is not None


async def get_feed(tx: Tx, feed_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["calendar_feed"], tenant_id=tx.tenant_id, feed_id=feed_id)


async def requester_bookings(
    tx: Tx, *, user_id: UUID, start: datetime, end: datetime | None, limit: int
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["requester_calendar_bookings"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        start=start,
        end=end,
        limit=limit,
    )
