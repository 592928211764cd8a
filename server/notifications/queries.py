from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_role_notifications(
    tx: Tx, *, roles: list[str], kind: str, subject: str, body: str
) -> list[UUID]:
    rows = await tx.fetch(
        QUERIES["insert_role_notifications"], tx.tenant_id, kind, subject, body, roles
    )
    return [row["id"] for row in rows]


async def insert_user_notification(
    tx: Tx, *, user_id: UUID, kind: str, subject: str, body: str
) -> UUID | None:
    value = await tx.fetchval(
        QUERIES["insert_user_notification"], tx.tenant_id, kind, subject, body, user_id
    )
    return value if isinstance(value, UUID) else None


async def due_notifications(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["due_notifications"], limit)


async def claim_notification(tx: Tx, notification_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["claim_notification"], tx.tenant_id, notification_id)


async def mark_sent(tx: Tx, notification_id: UUID) -> None:
    await tx.execute(QUERIES["mark_notification_sent"], tx.tenant_id, notification_id)


async def mark_failed_attempt(
    tx: Tx, notification_id: UUID, *, error: str, retry_in: timedelta, give_up: bool
) -> asyncpg.Record:
    row = await tx.fetchrow(
        QUERIES["mark_notification_failed_attempt"],
        tx.tenant_id,
        notification_id,
        error,
        retry_in,
        give_up,
    )
    assert row is not None
    return row
