from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_tenant(tx: Tx, *, name: str, slug: str, timezone: str) -> asyncpg.Record:
    query = QUERIES["insert_tenant"]
    row = await tx.fetchrow(
        query.sql, *query.args(tenant_id=tx.tenant_id, name=name, slug=slug, timezone=timezone)
    )
    assert row is not None
    return row


async def get_tenant(tx: Tx) -> asyncpg.Record | None:
    query = QUERIES["get_tenant"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id))


async def tenant_id_by_slug(tx: Tx, slug: str) -> UUID | None:
    query = QUERIES["tenant_id_by_slug"]
    value = await tx.fetchval(query.sql, *query.args(slug=slug))
    return value if isinstance(value, UUID) else None
