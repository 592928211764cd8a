"""Operational reads across tenants (through SECURITY DEFINER functions)."""

from __future__ import annotations

from server.db import Tx
from server.sql import QUERIES


async def backlogs(tx: Tx) -> list[tuple[str, int, float]]:
    rows = await tx.fetch(QUERIES["backlogs"])
    return [(row["queue"], row["items"], row["oldest_seconds"]) for row in rows]
