from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_audit(
    tx: Tx,
    *,
    action: str,
    entity_type: str,
    entity_id: UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    diff: dict[str, list[Any]],
) -> None:
    await tx.execute(
        QUERIES["insert_audit"],
        tenant_id=tx.tenant_id,
        audit_id=uuid.uuid4(),
        actor_id=tx.ctx.user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        correlation_id=tx.ctx.request_id,
        before=before,
        after=after,
        diff=diff,
    )


async def list_audit(
    tx: Tx,
    *,
    entity_type: str | None,
    entity_id: UUID | None,
    actor_id: UUID | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    after_at, after_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_audit"],
        tenant_id=tx.tenant_id,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor_id,
        start=start,
        end=end,
        after_at=after_at,
        after_id=after_id,
        limit=limit,
    )
