"""Housekeeping the worker runs daily: audit partitions ahead, old rows pruned.

Each chore runs in its own transaction and a failing one is logged and reported without
stopping the others: pruning events and idempotency keys must not wait for partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from server.db import Database, Tx
from server.workflow import queries

log = logging.getLogger(__name__)

MONTHS_AHEAD = 3
IDEMPOTENCY_LIFETIME = timedelta(hours=24)
# What a chore that failed reports instead of a count.
FAILED = -1


async def run_maintenance(db: Database, *, event_retention: timedelta) -> dict[str, int]:
    """Every chore; returns what each did (``FAILED`` for one that raised)."""
    chores: dict[str, Callable[[Tx], Awaitable[int]]] = {
        "partitions_created": lambda tx: queries.ensure_audit_partitions(
            tx, months_ahead=MONTHS_AHEAD
        ),
        "events_pruned": lambda tx: queries.prune_events(tx, older_than=event_retention),
        "idempotency_keys_pruned": lambda tx: queries.prune_idempotency_keys(
            tx, older_than=IDEMPOTENCY_LIFETIME
        ),
    }
    done: dict[str, int] = {}
    for name, chore in chores.items():
        try:
            done[name] = await db.run(None, chore)
        except Exception:
            log.exception("maintenance chore %s failed; the others go on", name)
            done[name] = FAILED
    return done
