"""Reading the audit trail, oldest first, keyset-paginated by ``(at, id)``."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from server.audit import queries
from server.audit.schemas import AuditEntryOut, AuditPage, AuditQuery
from server.db import Tx
from server.pagination import decode_key, page


async def list_audit(tx: Tx, query: AuditQuery) -> AuditPage:
    rows = await queries.list_audit(
        tx,
        entity_type=query.entity_type,
        entity_id=query.entity_id,
        actor_id=query.actor_id,
        start=query.from_,
        end=query.to,
        after=decode_key(query.cursor, tuple[datetime, UUID]),
        limit=query.limit + 1,
    )
    entries = [
        AuditEntryOut(
            id=r["id"],
            at=r["at"],
            actor_id=r["actor_id"],
            action=r["action"],
            entity_type=r["entity_type"],
            entity_id=r["entity_id"],
            correlation_id=r["correlation_id"],
            before=r["before"],
            after=r["after"],
            diff=r["diff"],
        )
        for r in rows
    ]
    items, cursor = page(entries, query.limit, key=lambda e: [e.at, e.id])
    return AuditPage(items=items, next_cursor=cursor)
