from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def insert_role_notifications(
    tx: Tx,
    *,
    roles: list[str],
    kind: str,
    subject: str,
    body: str,
    html: str | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
    except_user: UUID | None = None,
) -> list[UUID]:
    rows = await tx.fetch(
        QUERIES["insert_role_notifications"],
        tenant_id=tx.tenant_id,
        kind=kind,
        subject=subject,
        body=body,
        roles=roles,
        html=html,
        ics=ics,
        ics_method=ics_method,
        except_user=except_user,
    )
    return [row["id"] for row in rows]


async def insert_user_notification(
    tx: Tx,
    *,
    user_id: UUID,
    kind: str,
    subject: str,
    body: str,
    html: str | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
) -> UUID | None:
    value = await tx.fetchval(
        QUERIES["insert_user_notification"],
        tenant_id=tx.tenant_id,
        kind=kind,
        subject=subject,
        body=body,
        user_id=user_id,
        html=html,
        ics=ics,
        ics_method=ics_method,
    )
    return value if isinstance(value, UUID) else None


async def due_notifications(tx: Tx, *, limit: int) -> list[asyncpg.Record]:
    return await tx.fetch(QUERIES["due_notifications"], limit=limit)


async def claim_notification(tx: Tx, notification_id: UUID) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["claim_notification"], tenant_id=tx.tenant_id, notification_id=notification_id
    )


async def mark_sent(tx: Tx, notification_id: UUID) -> None:
    await tx.execute(
        QUERIES["mark_notification_sent"], tenant_id=tx.tenant_id, notification_id=notification_id
    )


async def mark_failed_attempt(
    tx: Tx, notification_id: UUID, *, error: str, retry_in: timedelta, give_up: bool
) -> asyncpg.Record:
    return await tx.one(
        QUERIES["mark_notification_failed_attempt"],
        tenant_id=tx.tenant_id,
        notification_id=notification_id,
        error=error,
        retry_in=retry_in,
        give_up=give_up,
    )


async def mail_names(
    tx: Tx, *, resource_id: UUID, requester_id: UUID, actor_id: UUID | None
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["mail_names"],
        tenant_id=tx.tenant_id,
        resource_id=resource_id,
        requester_id=requester_id,
        actor_id=actor_id,
    )


async def booking_change_fields(
    tx: Tx, *, booking_id: UUID, at: datetime, action: str
) -> dict[str, Any]:
    diff = await tx.fetchval(
        QUERIES["booking_change_fields"],
        tenant_id=tx.tenant_id,
        booking_id=booking_id,
        at=at,
        action=action,
    )
    return diff if isinstance(diff, dict) else {}


async def mail_backlog(tx: Tx, *, limit: int) -> list[UUID]:
    return [row["tenant_id"] for row in await tx.fetch(QUERIES["mail_backlog"], limit=limit)]


async def lock_mail_cursor(tx: Tx) -> int | None:
    await tx.execute(QUERIES["ensure_mail_cursor"], tenant_id=tx.tenant_id)
    value = await tx.fetchval(QUERIES["lock_mail_cursor"], tenant_id=tx.tenant_id)
    return int(value) if value is not None else None


async def advance_mail_cursor(tx: Tx, seq: int) -> None:
    await tx.execute(QUERIES["advance_mail_cursor"], tenant_id=tx.tenant_id, seq=seq)


async def get_preferences(tx: Tx, user_id: UUID) -> dict[str, bool]:
    value = await tx.fetchval(
        QUERIES["get_notification_preferences"], tenant_id=tx.tenant_id, user_id=user_id
    )
    return dict(value) if isinstance(value, dict) else {}


async def put_preferences(tx: Tx, user_id: UUID, email: dict[str, bool]) -> dict[str, bool]:
    value = await tx.fetchval(
        QUERIES["put_notification_preferences"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        email=email,
    )
    assert isinstance(value, dict)
    return dict(value)


async def mail_events(
    tx: Tx, *, after: int, limit: int, types: list[str], created_status: str
) -> list[asyncpg.Record]:
    return await tx.fetch(
        QUERIES["mail_events"],
        tenant_id=tx.tenant_id,
        after=after,
        limit=limit,
        types=types,
        created_status=created_status,
    )
