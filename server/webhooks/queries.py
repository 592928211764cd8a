from __future__ import annotations

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


async def list_webhooks(tx: Tx) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["list_webhooks"], tx.tenant_id)


async def delete_webhook(tx: Tx, webhook_id: UUID) -> bool:
    return await tx.fetchval(QUERIES["delete_webhook"], tx.tenant_id, webhook_id) is not None


async def webhook_exists(tx: Tx, webhook_id: UUID) -> bool:
    return bool(await tx.fetchval(QUERIES["webhook_exists"], tx.tenant_id, webhook_id))


async def list_deliveries(tx: Tx, webhook_id: UUID, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["list_webhook_deliveries"], tx.tenant_id, webhook_id, limit)


async def backlog(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["webhook_backlog"], limit)


async def claim_webhook_event(tx: Tx, webhook_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["claim_webhook_event"], tx.tenant_id, webhook_id)


async def skip_events(tx: Tx, webhook_id: UUID, *, through: int) -> None:
    await tx.execute(QUERIES["skip_webhook_events"], tx.tenant_id, webhook_id, through)


async def record_attempt(
    tx: Tx,
    webhook_id: UUID,
    *,
    delivery_id: UUID,
    seq: int,
    event_type: str,
    state: str,
    status: int | None,
    error: str | None,
    excerpt: str | None,
    next_attempt_at: datetime | None,
) -> int:
    attempts = await tx.fetchval(
        QUERIES["record_webhook_attempt"],
        tx.tenant_id,
        webhook_id,
        delivery_id,
        seq,
        event_type,
        state,
        status,
        error,
        excerpt,
        next_attempt_at,
    )
    return int(attempts)
