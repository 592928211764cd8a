"""Lifecycle mail from the events table: the worker reads each tenant's committed events
past its mail cursor, queues the messages ``rules`` asks for, and moves the cursor, all in
one transaction, so each event is turned into mail exactly once and the booking's own
write transaction does nothing extra. The messages then go out through the outbox
(``service.deliver``), retried like every other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from server.db import Context, Database, Tx
from server.notifications import queries, rules, service

BATCH = 200


async def _mail_for(
    tx: Tx, kind: str, at: datetime, actor_id: UUID | None, booking: dict[str, Any]
) -> int:
    if kind not in rules.FROM_EVENTS:
        return 0
    changed: frozenset[str] = frozenset()
    if kind == "booking.updated":
        diff = await queries.booking_change_fields(
            tx, booking_id=UUID(str(booking["id"])), at=at, action=kind
        )
        changed = frozenset(diff)
    if not rules.wants_mail(kind, booking, actor_id, changed):
        return 0
    return len(await service.notify_booking(tx, kind, booking, actor_id=actor_id))


async def dispatch_tenant(db: Database, tenant_id: UUID, *, batch: int = BATCH) -> int:
    """Turn the tenant's next events into queued mail (the database leaves out those that
    cannot send any); returns how far the cursor moved (0 when caught up or another
    worker holds it)."""
    ctx = Context(tenant_id=tenant_id, request_id="mail-dispatch")

    async def work(tx: Tx) -> int:
        cursor = await queries.lock_mail_cursor(tx)
        if cursor is None:
            return 0
        rows = await queries.mail_events(
            tx,
            after=cursor,
            limit=batch,
            types=sorted(rules.FROM_EVENTS),
            created_status=rules.CREATED_STATUS,
        )
        last = rows[0]["last"]
        if last is None:
            return 0
        for row in rows:
            if row["seq"] is not None:
                await _mail_for(tx, row["type"], row["at"], row["actor_id"], row["data"])
        await queries.advance_mail_cursor(tx, last)
        return int(last) - cursor

    return await db.run(ctx, work)


async def mail_backlog(db: Database, *, limit: int) -> list[UUID]:
    """Tenants with events not yet looked at for mail."""
    return await db.read(None, lambda tx: queries.mail_backlog(tx, limit=limit))
