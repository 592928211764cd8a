from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def record_change(
    tx: Tx,
    *,
    type: str,
    entity_type: str,
    entity_id: UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    diff: dict[str, list[Any]],
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["record_change"],
        tenant_id=tx.tenant_id,
        audit_id=uuid.uuid4(),
        actor_id=tx.ctx.user_id,
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        correlation_id=tx.ctx.request_id,
        before=before,
        after=after,
        diff=diff,
    )


async def events_since(tx: Tx, *, since: int, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["events_since"], tenant_id=tx.tenant_id, since=since, limit=limit)


async def event_head(tx: Tx) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["event_head"], tenant_id=tx.tenant_id)
