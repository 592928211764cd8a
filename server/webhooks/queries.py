from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_webhook(
    tx: Tx, *, webhook_id: UUID, url: str, events: list[str], secret: str
) -> asyncpg.Record:
    row = await tx.fetchrow(
        QUERIES["insert_webhook"], tx.tenant_id, webhook_id, url, events, secret, tx.ctx.user_id
    )
    assert row is not None
    return row


async def list_webhooks(
    tx: Tx, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    created_at, webhook_id = after or (None, None)
    return await tx.fetch(QUERIES["list_webhooks"], tx.tenant_id, created_at, webhook_id, limit)


async def delete_webhook(tx: Tx, webhook_id: UUID) -> bool:
    return await tx.fetchval(QUERIES["delete_webhook"], tx.tenant_id, webhook_id) is not None


async def webhook_exists(tx: Tx, webhook_id: UUID) -> bool:
    return bool(await tx.fetchval(QUERIES["webhook_exists"], tx.tenant_id, webhook_id))


async def list_deliveries(tx: Tx, webhook_id: UUID, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["list_webhook_deliveries"], tx.tenant_id, webhook_id, limit)


async def backlog(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["webhook_backlog"], limit)


async def claim_webhook(tx: Tx, webhook_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["claim_webhook"], tx.tenant_id, webhook_id)


async def next_events(
    tx: Tx, webhook_id: UUID, *, after: int, types: list[str], limit: int
) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["webhook_events"], tx.tenant_id, webhook_id, after, types, limit)


async def skip_events(tx: Tx, webhook_id: UUID, *, through: int) -> None:
    await tx.execute(QUERIES["skip_webhook_events"], tx.tenant_id, webhook_id, through)


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: UUID
    seq: int
    event_type: str
    state: str
    status: int | None
    error: str | None
    excerpt: str | None
    at: datetime


async def record_attempts(
    tx: Tx,
    webhook_id: UUID,
    attempts: list[Attempt],
    *,
    finished_through: int | None,
    retry_at: datetime | None,
) -> None:
    await tx.execute(
        QUERIES["record_webhook_attempts"],
        tx.tenant_id,
        webhook_id,
        [a.delivery_id for a in attempts],
        [a.seq for a in attempts],
        [a.event_type for a in attempts],
        [a.state for a in attempts],
        [a.status for a in attempts],
        [a.error for a in attempts],
        [a.excerpt for a in attempts],
        [a.at for a in attempts],
        retry_at,
        finished_through,
    )
