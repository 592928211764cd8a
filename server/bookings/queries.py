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
    return await tx.fetchrow(
        QUERIES["booking_context"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        project_id=project_id,
        start=start,
        end=end,
        excluding=excluding,
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
    return await tx.fetchrow(
        QUERIES["periods_context"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        project_id=project_id,
        starts=starts,
        ends=ends,
    )


async def lock_booking_project(tx: Tx, project_id: UUID) -> Decimal | None:
    value = await tx.fetchval(
        QUERIES["lock_booking_project"], tenant_id=tx.tenant_id, project_id=project_id
    )
    return value if isinstance(value, Decimal) else None


async def booking_contexts(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    """The context (without project) of up to ``limit`` of the tenant's resources."""
    return await tx.fetch(QUERIES["booking_contexts"], tenant_id=tx.tenant_id, limit=limit)


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
    row = await tx.sole(
        QUERIES["create_booking"],
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
    )
    assert row is not None, "app_create_booking always answers one row"
    return row


async def project_booked_seconds(tx: Tx, project_id: UUID, *, excluding: UUID | None) -> Decimal:
    value = await tx.fetchval(
        QUERIES["project_booked_seconds"],
        tenant_id=tx.tenant_id,
        project_id=project_id,
        excluding=excluding,
    )
    return Decimal(value)


async def booking_conflicts(
    tx: Tx, *, resource_id: UUID, start: datetime, end: datetime, excluding: UUID | None
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["booking_conflicts"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        start=start,
        end=end,
        excluding=excluding,
    )


async def lock_booking(tx: Tx, booking_id: UUID) -> asyncpg.Record | None:
    """Takes the advisory lock of the booking's resource; the row and timer settings."""
    return await tx.fetchrow(QUERIES["lock_booking"], tenant_id=tx.tenant_id, booking_id=booking_id)


async def get_booking(tx: Tx, booking_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(QUERIES["get_booking"], tenant_id=tx.tenant_id, booking_id=booking_id)


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
    return await tx.fetchrow(
        QUERIES["update_booking"],
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
    return await tx.fetchrow(
        QUERIES["transition_booking"],
        tenant_id=tx.tenant_id,
        booking_id=booking_id,
        expected_status=expected_status,
        expected_version=expected_version,
        status=status,
        reason=reason,
        escalate=escalate,
        resource_id=resource_id,
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
    return await tx.fetch(
        QUERIES["list_bookings"],
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
    )
