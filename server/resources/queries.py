from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_resource(
    tx: Tx,
    *,
    resource_id: UUID,
    name: str,
    kind: str,
    timezone: str,
    skills: list[str],
    working_hours: dict[str, Any] | None,
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["insert_resource"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        name=name,
        kind=kind,
        timezone=timezone,
        skills=skills,
        working_hours=working_hours,
    )


async def get_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["get_resource"], tenant_id=tx.tenant_id, resource_id=resource_id
    )


async def lock_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["lock_resource"], tenant_id=tx.tenant_id, resource_id=resource_id
    )


async def update_resource(
    tx: Tx,
    resource_id: UUID,
    *,
    name: str,
    kind: str,
    timezone: str,
    skills: list[str],
    working_hours: dict[str, Any] | None,
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["update_resource"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        name=name,
        kind=kind,
        timezone=timezone,
        skills=skills,
        working_hours=working_hours,
    )


async def deactivate_resource(
    tx: Tx, resource_id: UUID, *, by: UUID | None, reason: str
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["deactivate_resource"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        by=by,
        reason=reason,
    )


async def list_resources(
    tx: Tx,
    *,
    kind: str | None,
    skill: str | None,
    active: bool | None,
    after: tuple[str, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    after_name, after_id = after if after is not None else (None, None)
    return await tx.fetch(
        QUERIES["list_resources"],
        tenant_id=tx.tenant_id,
        kind=kind,
        skill=skill,
        active=active,
        after_name=after_name,
        after_id=after_id,
        limit=limit,
    )


async def reactivate_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["reactivate_resource"], tenant_id=tx.tenant_id, resource_id=resource_id
    )
