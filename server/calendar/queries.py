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
        QUERIES["calendar_bookings"], tx.tenant_id, resource_id, start, end, limit
    )
