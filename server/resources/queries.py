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
    row = await tx.fetchrow(
        QUERIES["insert_resource"],
        tx.tenant_id,
        resource_id,
        name,
        kind,
        timezone,
        skills,
        working_hours,
    )
    assert row is not None
    return row


async def get_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_resource"], tx.tenant_id, resource_id)


async def lock_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["lock_resource"], tx.tenant_id, resource_id)


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
    row = await tx.fetchrow(
        QUERIES["update_resource"],
        tx.tenant_id,
        resource_id,
        name,
        kind,
        timezone,
        skills,
        working_hours,
    )
    assert row is not None
    return row


async def deactivate_resource(
    tx: Tx, resource_id: UUID, *, by: UUID | None, reason: str
) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["deactivate_resource"], tx.tenant_id, resource_id, by, reason)


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
        QUERIES["list_resources"], tx.tenant_id, kind, skill, active, after_name, after_id, limit
    )


async def reactivate_resource(tx: Tx, resource_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["reactivate_resource"], tx.tenant_id, resource_id)
