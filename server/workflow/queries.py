from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def get_settings(tx: Tx) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_workflow_settings"], tenant_id=tx.tenant_id)


async def lock_settings(tx: Tx) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["lock_workflow_settings"], tenant_id=tx.tenant_id)


async def update_settings(
    tx: Tx,
    *,
    approval_required: bool,
    escalate_after: timedelta | None,
    expire_after: timedelta | None,
    remind_before: timedelta | None,
    auto_complete: bool,
    max_booking_days: int,
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["update_workflow_settings"],
        tenant_id=tx.tenant_id,
        approval_required=approval_required,
        escalate_after=escalate_after,
        expire_after=expire_after,
        remind_before=remind_before,
        auto_complete=auto_complete,
        max_booking_days=max_booking_days,
    )


async def due_timers(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["due_timers"], limit=limit)


async def peek_timer(tx: Tx, timer_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["peek_timer"], tenant_id=tx.tenant_id, timer_id=timer_id)


async def next_due_timer(tx: Tx, booking_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["next_due_timer"], tenant_id=tx.tenant_id, booking_id=booking_id
    )


async def finish_timer(tx: Tx, timer_id: UUID, *, state: Literal["done", "cancelled"]) -> None:
    await tx.execute(
        QUERIES["finish_timer"], tenant_id=tx.tenant_id, timer_id=timer_id, state=state
    )


async def reminder_sent(tx: Tx, booking_id: UUID, due_at: datetime) -> bool:
    return bool(
        await tx.fetchval(
            QUERIES["reminder_sent"], tenant_id=tx.tenant_id, booking_id=booking_id, due_at=due_at
        )
    )


async def ensure_audit_partitions(tx: Tx, *, months_ahead: int) -> int:
    return int(await tx.fetchval(QUERIES["ensure_audit_partitions"], months_ahead=months_ahead))


async def prune_events(tx: Tx, *, older_than: timedelta) -> int:
    return int(await tx.fetchval(QUERIES["prune_events"], older_than=older_than))


async def prune_idempotency_keys(tx: Tx, *, older_than: timedelta) -> int:
    return int(await tx.fetchval(QUERIES["prune_idempotency_keys"], older_than=older_than))
