from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_tenant(tx: Tx, *, name: str, slug: str, timezone: str) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_tenant"], tenant_id=tx.tenant_id, name=name, slug=slug, timezone=timezone
    )


async def get_tenant(tx: Tx) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_tenant"], tenant_id=tx.tenant_id)


async def tenant_id_by_slug(tx: Tx, slug: str) -> UUID | None:
    value = await tx.fetchval(QUERIES["tenant_id_by_slug"], slug=slug)
    return value if isinstance(value, UUID) else None
