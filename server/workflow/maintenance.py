"""Housekeeping the worker runs daily: audit partitions ahead, old rows pruned."""

from __future__ import annotations

from datetime import timedelta

from server.db import Database
from server.workflow import queries

MONTHS_AHEAD = 3
IDEMPOTENCY_LIFETIME = timedelta(hours=24)


async def run_maintenance(db: Database, *, event_retention: timedelta) -> dict[str, int]:
    """Both chores, each in its own transaction; returns what each did."""
    made = await db.run(
        None, lambda tx: queries.ensure_audit_partitions(tx, months_ahead=MONTHS_AHEAD)
    )
    pruned = await db.run(
        None,
        lambda tx: queries.prune_expired(
            tx, events_older_than=event_retention, keys_older_than=IDEMPOTENCY_LIFETIME
        ),
    )
    return {"partitions_created": made, "rows_pruned": pruned}
