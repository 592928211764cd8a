"""Projects: create, list, read, edit and soft-delete, each reporting its booked hours."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from server import errors
from server.db import Tx
from server.events.service import record
from server.pagination import decode_key, page
from server.projects import queries
from server.projects.schemas import (
    ProjectCreate,
    ProjectOut,
    ProjectPage,
    ProjectQuery,
    ProjectUpdate,
)
from server.schemas import Deactivate


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _budget(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def project_out(row: asyncpg.Record | dict[str, Any]) -> ProjectOut:
    budget = row["budget_hours"]
    booked = row["booked_hours"] or Decimal(0)
    return ProjectOut(
        id=row["id"],
        name=row["name"],
        code=row["code"],
        budget_hours=_hours(budget),
        booked_hours=_hours(booked) or 0.0,
        remaining_hours=None if budget is None else _hours(budget - booked),
        is_active=row["deactivated_at"] is None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deactivated_at=row["deactivated_at"],
        deactivated_by=row["deactivated_by"],
        deactivation_reason=row["deactivation_reason"],
    )


async def _record(tx: Tx, type: str, before: Any, after: Any) -> None:
    await record(
        tx, type=type, entity_type="project", entity_id=after.id, before=before, after=after
    )


async def create_project(tx: Tx, body: ProjectCreate) -> ProjectOut:
    row = await queries.insert_project(
        tx,
        project_id=uuid.uuid4(),
        name=body.name,
        code=body.code,
        budget_hours=_budget(body.budget_hours),
    )
    out = project_out(row)
    await _record(tx, "project.created", None, out)
    return out


async def get_project(tx: Tx, project_id: UUID) -> ProjectOut:
    row = await queries.get_project(tx, project_id)
    if row is None:
        raise errors.NotFound("No such project")
    return project_out(row)


async def list_projects(tx: Tx, query: ProjectQuery) -> ProjectPage:
    after = decode_key(query.cursor, tuple[str, UUID])
    rows = await queries.list_projects(tx, active=query.active, after=after, limit=query.limit + 1)
    items, cursor = page([project_out(r) for r in rows], query.limit, key=lambda p: [p.name, p.id])
    return ProjectPage(items=items, next_cursor=cursor)


async def _locked(tx: Tx, project_id: UUID) -> ProjectOut:
    # Lock first so the "before" of the audit entry is the row this change replaces.
    if await queries.lock_project(tx, project_id) is None:
        raise errors.NotFound("No such project")
    return await get_project(tx, project_id)


async def update_project(tx: Tx, project_id: UUID, body: ProjectUpdate) -> ProjectOut:
    before = await _locked(tx, project_id)
    row = await queries.update_project(
        tx,
        project_id,
        name=before.name if body.name is msgspec.UNSET else body.name,
        code=before.code if body.code is msgspec.UNSET else body.code,
        budget_hours=_budget(
            before.budget_hours if body.budget_hours is msgspec.UNSET else body.budget_hours
        ),
    )
    out = project_out(row)
    await _record(tx, "project.updated", before, out)
    return out


async def deactivate_project(tx: Tx, project_id: UUID, body: Deactivate) -> ProjectOut:
    """Soft delete; deleting an inactive project again answers it unchanged."""
    before = await _locked(tx, project_id)
    if not before.is_active:
        return before
    row = await queries.deactivate_project(tx, project_id, by=tx.ctx.user_id, reason=body.reason)
    assert row is not None
    out = project_out(row)
    await _record(tx, "project.updated", before, out)
    return out


async def reactivate_project(tx: Tx, project_id: UUID) -> ProjectOut:
    """Undo a soft delete; an active project is answered unchanged."""
    before = await _locked(tx, project_id)
    if before.is_active:
        return before
    row = await queries.reactivate_project(tx, project_id)
    assert row is not None
    out = project_out(row)
    await _record(tx, "project.updated", before, out)
    return out
