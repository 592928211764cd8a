"""Typed functions over sql/queries/solver.sql; the rules' own queries run through
``rule_rows`` and ``held_periods`` with the SQL the registry gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES, Query


async def rule_rows(
    tx: Tx, check: Query, *, start: datetime | None, end: datetime | None
) -> list[asyncpg.Record]:
    """A rule's check: its violations (or candidates) in the tenant over [start, end)."""
    return await tx.fetch(check, tenant_id=tx.tenant_id, start=start, end=end)


async def held_periods(
    tx: Tx, load: Query, *, resource_ids: list[UUID], start: datetime, end: datetime
) -> list[asyncpg.Record]:
    """A Blocked rule's periods: (resource_id, start, end) of ``resource_ids`` in [start, end)."""
    return await tx.fetch(
        load, tenant_id=tx.tenant_id, resource_ids=resource_ids, start=start, end=end
    )


async def budgets_left(tx: Tx, load: Query, project_ids: list[UUID]) -> list[asyncpg.Record]:
    """A Budget rule's (project_id, seconds_left) for the budgeted projects among the ids."""
    return await tx.fetch(load, tenant_id=tx.tenant_id, project_ids=project_ids)


async def solver_resources(tx: Tx) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["solver_resources"], tenant_id=tx.tenant_id)


async def projects(tx: Tx, project_ids: list[UUID]) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["solver_projects"], tenant_id=tx.tenant_id, project_ids=project_ids
    )


async def settings(tx: Tx) -> asyncpg.Record:
    # Every tenant has workflow settings.
    return await tx.one(QUERIES["solver_settings"], tenant_id=tx.tenant_id)


async def lock(tx: Tx, *, resource_ids: list[UUID], project_ids: list[UUID]) -> None:
    """Advisory locks of the resources (the key the create path takes; pass them sorted,
    so two multi-resource writers never wait on each other in a cycle), then the project
    rows, so budget checks of concurrent writers run one at a time."""
    await tx.fetchrow(
        QUERIES["solver_lock"],
        tenant_id=tx.tenant_id,
        resource_ids=resource_ids,
        project_ids=project_ids,
    )


async def insert_bookings(tx: Tx, items: list[dict[str, Any]]) -> list[asyncpg.Record]:
    """Confirmed bookings requested by the caller, in one statement: numbers and seqs from
    one update of the tenant's counter row, an audit entry and a ``booking.created`` event
    each. ``items`` carry id, resource_id, project_id, title, start, end, and the event's
    ``after``/``diff`` JSON but for the number, which the statement fills in."""
    for item in items:
        item["audit_id"] = str(uuid.uuid4())
    return await tx.fetch(
        QUERIES["solver_insert_bookings"],
        tenant_id=tx.tenant_id,
        items=items,
        requester_id=tx.ctx.user_id,
        correlation_id=tx.ctx.request_id,
    )


async def tenants(tx: Tx, slug: str | None) -> list[asyncpg.Record]:
    """(id, slug) of every tenant, or of the one with ``slug``; needs no tenant scope."""
    return await tx.fetch(QUERIES["verify_tenants"], slug=slug)
