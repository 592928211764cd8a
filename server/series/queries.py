from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def series_conflicts(
    tx: Tx, *, resource_id: UUID, starts: list[datetime], ends: list[datetime]
) -> list[Any] | None:
    found: list[Any] | None = await tx.fetchval(
        QUERIES["series_conflicts"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        starts=starts,
        ends=ends,
    )
    return found


async def insert_series(
    tx: Tx,
    *,
    series_id: UUID,
    resource_id: UUID,
    project_id: UUID | None,
    title: str,
    note: str,
    status: str,
    booking_ids: list[UUID],
    starts: list[datetime],
    ends: list[datetime],
    budget_hours: Decimal | None,
    recurrence: dict[str, Any],
    planned: list[Any],
) -> list[asyncpg.Record]:
    """Every occurrence with its number, audit row and ``booking.created`` event, by start;
    no rows when the series would take the project past ``budget_hours``."""
    return await tx.fetch(
        QUERIES["insert_series"],
        tenant_id=tx.tenant_id,
        series_id=series_id,
        resource_id=resource_id,
        requester_id=tx.ctx.user_id,
        project_id=project_id,
        title=title,
        note=note,
        status=status,
        booking_ids=booking_ids,
        starts=starts,
        ends=ends,
        budget_hours=budget_hours,
        recurrence=recurrence,
        planned=planned,
        correlation_id=tx.ctx.request_id,
    )


async def get_series(tx: Tx, series_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_series"], tenant_id=tx.tenant_id, series_id=series_id)


async def series_bookings(tx: Tx, series_id: UUID) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["series_bookings"], tenant_id=tx.tenant_id, series_id=series_id)


async def bookings_to_cancel(tx: Tx, series_id: UUID, start: datetime) -> list[UUID]:
    rows = await tx.fetch(
        QUERIES["series_bookings_to_cancel"],
        tenant_id=tx.tenant_id,
        series_id=series_id,
        start=start,
    )
    return [row["id"] for row in rows]
