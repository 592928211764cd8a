from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def availability_window(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime, limit: int
) -> list[asyncpg.Record]:
    """The resource's rows joined with its blocking bookings in ``[start, end)`` (at most
    ``limit``); none if the resource is unknown to this tenant."""
    return await tx.fetch(
        QUERIES["availability_window"], tx.tenant_id, resource_id, start, end, limit
    )
