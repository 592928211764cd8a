from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def booking_context(
    tx: Tx,
    *,
    resource_id: UUID,
    project_id: UUID | None,
    start: datetime | None,
    end: datetime | None,
    excluding: UUID | None,
) -> asyncpg.Record | None:
    """Takes the resource's advisory lock, then reads resource, project and settings, and
    ``conflicts``: blocking bookings overlapping [start, end) but ``excluding`` (JSON, or
    None when there are none or ``start`` is None). Exact: every writer holds the lock.
    When a conflict was already committed it is returned without taking the lock: the
    caller must then refuse, never write."""
    query = QUERIES["booking_context"]
    return await tx.fetchrow(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            resource_id=resource_id,
            project_id=project_id,
            start=start,
            end=end,
            excluding=excluding,
        ),
    )


async def periods_context(
    tx: Tx,
    *,
    resource_id: UUID,
    project_id: UUID | None,
    starts: list[datetime],
    ends: list[datetime],
) -> asyncpg.Record | None:
    """Like ``booking_context`` for several periods, but always takes the resource's lock
    first; ``conflicts`` lists every clash, each with its ``occurrence_start``."""
    query = QUERIES["periods_context"]
    return await tx.fetchrow(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            resource_id=resource_id,
            project_id=project_id,
            starts=starts,
            ends=ends,
        ),
    )


async def lock_booking_project(tx: Tx, project_id: UUID) -> Decimal | None:
    query = QUERIES["lock_booking_project"]
    value = await tx.fetchval(query.sql, *query.args(tenant_id=tx.tenant_id, project_id=project_id))
    return value if isinstance(value, Decimal) else None


async def booking_contexts(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    """The context (without project) of up to ``limit`` of the tenant's resources."""
    query = QUERIES["booking_contexts"]
    return await tx.fetch(query.sql, *query.args(tenant_id=tx.tenant_id, limit=limit))


async def create_booking(
    tx: Tx,
    *,
    stamp: str | None,
    booking_id: UUID,
    resource_id: UUID,
    requester_id: UUID,
    project_id: UUID | None,
    title: str,
    note: str,
    start: datetime,
    end: datetime,
    status: str,
    after: dict[str, Any],
    diff: dict[str, list[Any]],
) -> asyncpg.Record:
    """The whole create in one statement (``app_create_booking``): alone in its own
    transaction when none is open. ``stamp`` is that of the context the rules were judged
    on; the row's ``outcome`` says what happened (created, stale, conflict, budget).
    ``after``/``diff`` are the event's JSON but for number, created_at and updated_at."""
    query = QUERIES["create_booking"]
    row = await tx.sole(
        query.sql,
        *query.args(
            app_role=tx.app_role,
            tenant_id=tx.tenant_id,
            stamp=stamp,
            booking_id=booking_id,
            resource_id=resource_id,
            project_id=project_id,
            requester_id=requester_id,
            title=title,
            note=note,
            start=start,
            end=end,
            status=status,
            audit_id=uuid.uuid4(),
            correlation_id=tx.ctx.request_id,
            after=after,
            diff=diff,
        ),
    )
    assert row is not None, "app_create_booking always answers one row"
    return row


async def project_booked_seconds(tx: Tx, project_id: UUID, *, excluding: UUID | None) -> Decimal:
    query = QUERIES["project_booked_seconds"]
    value = await tx.fetchval(
        query.sql, *query.args(tenant_id=tx.tenant_id, project_id=project_id, excluding=excluding)
    )
    return Decimal(value)


async def booking_conflicts(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime, excluding: UUID | None
) -> list[asyncpg.Record]:
    query = QUERIES["booking_conflicts"]
    return await tx.fetch(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            resource_id=resource_id,
            start=start,
            end=end,
            excluding=excluding,
        ),
    )


async def lock_booking(tx: Tx, booking_id: UUID) -> asyncpg.Record | None:
    """Takes the advisory lock of the booking's resource; the row and timer settings."""
    query = QUERIES["lock_booking"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, booking_id=booking_id))


async def get_booking(tx: Tx, booking_id: UUID) -> asyncpg.Record | None:
    query = QUERIES["get_booking"]
    return await tx.fetchrow(query.sql, *query.args(tenant_id=tx.tenant_id, booking_id=booking_id))


async def update_booking(
    tx: Tx,
    booking_id: UUID,
    *,
    resource_id: UUID,
    status: str,
    project_id: UUID | None,
    title: str,
    note: str,
    start: datetime,
    end: datetime,
    expected_version: int,
    expected_status: str,
    budget_hours: Decimal | None,
) -> asyncpg.Record | None:
    """None when the booking changed meanwhile or would pass the project's budget."""
    query = QUERIES["update_booking"]
    return await tx.fetchrow(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            booking_id=booking_id,
            resource_id=resource_id,
            status=status,
            project_id=project_id,
            title=title,
            note=note,
            start=start,
            end=end,
            expected_version=expected_version,
            expected_status=expected_status,
            budget_hours=budget_hours,
        ),
    )


async def transition_booking(
    tx: Tx,
    booking_id: UUID,
    *,
    expected_status: str,
    expected_version: int,
    status: str | None,
    reason: str | None,
    escalate: bool,
    resource_id: UUID | None,
) -> asyncpg.Record | None:
    """None when the booking is no longer at the expected status and version."""
    query = QUERIES["transition_booking"]
    return await tx.fetchrow(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            booking_id=booking_id,
            expected_status=expected_status,
            expected_version=expected_version,
            status=status,
            reason=reason,
            escalate=escalate,
            resource_id=resource_id,
        ),
    )


async def list_bookings(
    tx: Tx,
    *,
    resource_id: UUID | None,
    project_id: UUID | None,
    requester_id: UUID | None,
    statuses: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    after_start, after_id = after if after is not None else (None, None)
    query = QUERIES["list_bookings"]
    return await tx.fetch(
        query.sql,
        *query.args(
            tenant_id=tx.tenant_id,
            resource_id=resource_id,
            project_id=project_id,
            requester_id=requester_id,
            statuses=statuses,
            start=start,
            end=end,
            after_start=after_start,
            after_id=after_id,
            limit=limit,
        ),
    )
