from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_project(
    tx: Tx, *, project_id: UUID, name: str, code: str | None, budget_hours: Decimal | None
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_project"],
        tenant_id=tx.tenant_id,
        project_id=project_id,
        name=name,
        code=code,
        budget_hours=budget_hours,
    )


async def get_project(tx: Tx, project_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_project"], tenant_id=tx.tenant_id, project_id=project_id)


async def lock_project(tx: Tx, project_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["lock_project"], tenant_id=tx.tenant_id, project_id=project_id)


async def update_project(
    tx: Tx, project_id: UUID, *, name: str, code: str | None, budget_hours: Decimal | None
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["update_project"],
        tenant_id=tx.tenant_id,
        project_id=project_id,
        name=name,
        code=code,
        budget_hours=budget_hours,
    )


async def deactivate_project(
    tx: Tx, project_id: UUID, *, by: UUID | None, reason: str
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["deactivate_project"],
        tenant_id=tx.tenant_id,
        project_id=project_id,
        by=by,
        reason=reason,
    )


async def list_projects(
    tx: Tx, *, active: bool | None, after: tuple[str, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    after_name, after_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_projects"],
        tenant_id=tx.tenant_id,
        active=active,
        after_name=after_name,
        after_id=after_id,
        limit=limit,
    )


async def reactivate_project(tx: Tx, project_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["reactivate_project"], tenant_id=tx.tenant_id, project_id=project_id
    )
