"""Resources: create, list, read, edit and soft-delete; each change records its event."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from server import errors
from server.availability.hours import sorted_template
from server.db import Tx
from server.events.service import record
from server.pagination import decode_key, page
from server.resources import queries
from server.resources.schemas import (
    ResourceCreate,
    ResourceOut,
    ResourcePage,
    ResourceQuery,
    ResourceUpdate,
    plain_hours,
)
from server.schemas import Deactivate


def resource_out(row: asyncpg.Record | dict[str, Any]) -> ResourceOut:
    return ResourceOut(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        timezone=row["timezone"],
        skills=list(row["skills"]),
        working_hours=plain_hours(row["working_hours"]),
        is_active=row["deactivated_at"] is None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deactivated_at=row["deactivated_at"],
        deactivated_by=row["deactivated_by"],
        deactivation_reason=row["deactivation_reason"],
    )


def _skills(skills: list[str]) -> list[str]:
    return list(dict.fromkeys(skills))


async def _record(tx: Tx, type: str, before: Any, after: Any) -> None:
    await record(
        tx, type=type, entity_type="resource", entity_id=after.id, before=before, after=after
    )


async def create_resource(tx: Tx, body: ResourceCreate) -> ResourceOut:
    hours = sorted_template(body.working_hours)
    row = await queries.insert_resource(
        tx,
        resource_id=uuid.uuid4(),
        name=body.name,
        kind=body.kind,
        timezone=body.timezone,
        skills=_skills(body.skills),
        working_hours=hours,
    )
    out = resource_out(row)
    await _record(tx, "resource.created", None, out)
    return out


async def get_resource(tx: Tx, resource_id: UUID) -> ResourceOut:
    row = await queries.get_resource(tx, resource_id)
    if row is None:
        raise errors.NotFound("No such resource")
    return resource_out(row)


async def list_resources(tx: Tx, query: ResourceQuery) -> ResourcePage:
    after = decode_key(query.cursor, tuple[str, UUID])
    rows = await queries.list_resources(
        tx,
        kind=query.kind,
        skill=query.skill,
        active=query.active,
        after=after,
        limit=query.limit + 1,
    )
    items, cursor = page([resource_out(r) for r in rows], query.limit, key=lambda r: [r.name, r.id])
    return ResourcePage(items=items, next_cursor=cursor)


async def update_resource(tx: Tx, resource_id: UUID, body: ResourceUpdate) -> ResourceOut:
    row = await queries.lock_resource(tx, resource_id)
    if row is None:
        raise errors.NotFound("No such resource")
    before = resource_out(row)
    timezone = before.timezone
    if body.timezone is not msgspec.UNSET:
        timezone = body.timezone
    hours: dict[str, Any] | None = before.working_hours
    if body.working_hours is not msgspec.UNSET:
        hours = sorted_template(body.working_hours)
    updated = await queries.update_resource(
        tx,
        resource_id,
        name=before.name if body.name is msgspec.UNSET else body.name,
        kind=before.kind if body.kind is msgspec.UNSET else body.kind,
        timezone=timezone,
        skills=before.skills if body.skills is msgspec.UNSET else _skills(body.skills),
        working_hours=hours,
    )
    out = resource_out(updated)
    await _record(tx, "resource.updated", before, out)
    return out


async def deactivate_resource(tx: Tx, resource_id: UUID, body: Deactivate) -> ResourceOut:
    """Soft delete; deleting an inactive resource again answers it unchanged."""
    row = await queries.lock_resource(tx, resource_id)
    if row is None:
        raise errors.NotFound("No such resource")
    before = resource_out(row)
    if not before.is_active:
        return before
    updated = await queries.deactivate_resource(
        tx, resource_id, by=tx.ctx.user_id, reason=body.reason
    )
    assert updated is not None
    out = resource_out(updated)
    await _record(tx, "resource.updated", before, out)
    return out


async def reactivate_resource(tx: Tx, resource_id: UUID) -> ResourceOut:
    """Undo a soft delete; an active resource is answered unchanged."""
    row = await queries.lock_resource(tx, resource_id)
    if row is None:
        raise errors.NotFound("No such resource")
    before = resource_out(row)
    if before.is_active:
        return before
    updated = await queries.reactivate_resource(tx, resource_id)
    assert updated is not None
    out = resource_out(updated)
    await _record(tx, "resource.updated", before, out)
    return out
