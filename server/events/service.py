"""Every committed change writes one audit entry and one event with the next ``seq``.

Call ``record`` last in a write transaction: it takes the tenant counter row lock, so
holding it until commit keeps ``seq`` gapless and in commit order.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from server import errors
from server.db import Tx
from server.events import queries
from server.events.schemas import EventOut, EventsPage


class ResyncRequired(errors.Gone):
    code, title = "resync_required", "Resync required"


def _plain(value: Any) -> dict[str, Any]:
    plain = msgspec.to_builtins(value)
    assert isinstance(plain, dict)
    return plain


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` for every field that changed (all fields when created)."""
    old = before or {}
    skip = {"updated_at", "version"}
    return {
        key: [old.get(key), value]
        for key, value in after.items()
        if key not in skip and old.get(key) != value
    }


async def record(
    tx: Tx,
    *,
    type: str,
    entity_type: str,
    entity_id: UUID,
    before: Any | None,
    after: Any,
) -> int:
    """Write the audit entry and the event of one change; returns its ``seq``."""
    before_plain = _plain(before) if before is not None else None
    after_plain = _plain(after)
    row = await queries.record_change(
        tx,
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before_plain,
        after=after_plain,
        diff=diff(before_plain, after_plain),
    )
    tx.wrote_event()
    return int(row["seq"])


async def since(tx: Tx, *, since: int, limit: int) -> EventsPage:
    """Events after ``since``; 410 ``resync_required`` when some were already pruned."""
    head_row = await queries.event_head(tx)
    head = int(head_row["head"]) if head_row else 0
    oldest = head_row["oldest"] if head_row else None
    if since < 0 or since > head:
        raise errors.ValidationFailed.field("since", f"must be between 0 and {head}")
    first_needed = since + 1
    if first_needed <= head and (oldest is None or oldest > first_needed):
        raise ResyncRequired(
            "Events after this seq are past the retention window; reload the schedule"
        )
    rows = await queries.events_since(tx, since=since, limit=limit)
    events = [
        EventOut(seq=r["seq"], type=r["type"], at=r["at"], actor_id=r["actor_id"], data=r["data"])
        for r in rows
    ]
    return EventsPage(events=events, seq=head)
