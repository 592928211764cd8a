from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple
from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def event_heads(tx: Tx) -> dict[UUID, int]:
    rows = await tx.fetch(QUERIES["event_heads"])
    return {row["tenant_id"]: int(row["seq"]) for row in rows}


async def relay_cursors(tx: Tx) -> dict[UUID, int]:
    """Per tenant, the last seq a relay leader emitted."""
    rows = await tx.fetch(QUERIES["relay_cursors"])
    return {row["tenant_id"]: int(row["seq"]) for row in rows}


async def save_relay_cursors(cursors: Mapping[UUID, int], tx: Tx) -> None:
    """Move the relay's cursors forward (never back)."""
    await tx.execute(
        QUERIES["save_relay_cursors"], tenant_ids=list(cursors), seqs=list(cursors.values())
    )


async def events_after(since: Mapping[UUID, int], limit: int, tx: Tx) -> list[asyncpg.Record]:
    """The events of each tenant of ``since`` after its seq (at most ``limit`` each)."""
    return await tx.fetch(
        QUERIES["events_after"], tenant_ids=list(since), seqs=list(since.values()), limit=limit
    )


class SocketUser(NamedTuple):
    role: str
    # Epoch seconds: access tokens issued before are refused (0 when never ended).
    valid_after: float


async def active_users(tx: Tx, user_ids: Sequence[UUID]) -> dict[UUID, SocketUser]:
    """The current role and token cut-off of each of ``user_ids`` that is still active."""
    rows = await tx.fetch(QUERIES["socket_users"], tenant_id=tx.tenant_id, user_ids=list(user_ids))
    return {
        row["id"]: SocketUser(row["role"], float(row["valid_after"]))
        for row in rows
        if row["active"]
    }
