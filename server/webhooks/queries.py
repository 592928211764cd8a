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
    return await tx.one(
        QUERIES["insert_webhook"],
        tenant_id=tx.tenant_id,
        webhook_id=webhook_id,
        url=url,
        events=events,
        secret=secret,
        created_by=tx.ctx.user_id,
    )


async def list_webhooks(
    tx: Tx, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    created_at, webhook_id = after or (None, None)
    return await tx.fetch(
        QUERIES["list_webhooks"],
        tenant_id=tx.tenant_id,
        after_created_at=created_at,
        after_id=webhook_id,
        limit=limit,
    )


async def delete_webhook(tx: Tx, webhook_id: UUID) -> bool:
    return (
        await tx.fetchval(QUERIES["delete_webhook"], tenant_id=tx.tenant_id, webhook_id=webhook_id)
        is not None
    )


async def webhook_exists(tx: Tx, webhook_id: UUID) -> bool:
    return bool(
        await tx.fetchval(QUERIES["webhook_exists"], tenant_id=tx.tenant_id, webhook_id=webhook_id)
    )


async def list_deliveries(tx: Tx, webhook_id: UUID, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["list_webhook_deliveries"],
        tenant_id=tx.tenant_id,
        webhook_id=webhook_id,
        limit=limit,
    )


async def backlog(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["webhook_backlog"], limit=limit)


async def claim_webhook(tx: Tx, webhook_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["claim_webhook"], tenant_id=tx.tenant_id, webhook_id=webhook_id
    )


async def next_events(
    tx: Tx, webhook_id: UUID, *, after: int, types: list[str], limit: int
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["webhook_events"],
        tenant_id=tx.tenant_id,
        webhook_id=webhook_id,
        after=after,
        types=types,
        limit=limit,
    )


async def skip_events(tx: Tx, webhook_id: UUID, *, through: int) -> None:
    await tx.execute(
        QUERIES["skip_webhook_events"],
        tenant_id=tx.tenant_id,
        webhook_id=webhook_id,
        through=through,
    )


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
        tenant_id=tx.tenant_id,
        webhook_id=webhook_id,
        delivery_ids=[a.delivery_id for a in attempts],
        seqs=[a.seq for a in attempts],
        event_types=[a.event_type for a in attempts],
        states=[a.state for a in attempts],
        statuses=[a.status for a in attempts],
        errors=[a.error for a in attempts],
        excerpts=[a.excerpt for a in attempts],
        attempted_ats=[a.at for a in attempts],
        retry_at=retry_at,
        finished_through=finished_through,
    )
