from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def availability_window(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime, limit: int
) -> list[asyncpg.Record]:
    """The resource's rows joined with what blocks it in ``[start, end)`` (``kind``:
    booking, hold, time_off; at most ``limit``); none if the resource is unknown."""
    return await tx.fetch(
        QUERIES["availability_window"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        start=start,
        end=end,
        limit=limit,
    )


async def search_resources(
    tx: Tx, *, kind: str | None, skills: list[str] | None, resource_ids: list[UUID] | None
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["search_resources"],
        tenant_id=tx.tenant_id,
        kind=kind,
        skills=skills,
        resource_ids=resource_ids,
    )


async def search_busy(
    tx: Tx, *, resource_ids: list[UUID], start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["search_busy"],
        tenant_id=tx.tenant_id,
        resource_ids=resource_ids,
        start=start,
        end=end,
    )
