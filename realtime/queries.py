from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from server.db import Tx
from server.sql import QUERIES


async def event_heads(tx: Tx) -> dict[UUID, int]:
    rows = await tx.fetch(QUERIES["event_heads"])
    return {row["tenant_id"]: int(row["seq"]) for row in rows}


async def deactivated_users(tx: Tx, user_ids: Sequence[UUID]) -> set[UUID]:
    rows = await tx.fetch(QUERIES["deactivated_users"], tx.tenant_id, list(user_ids))
    return {row["id"] for row in rows}
