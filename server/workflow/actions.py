"""What each timer kind does to its booking (filled in against the booking service)."""

from __future__ import annotations

from uuid import UUID

from server.db import Tx


async def run(tx: Tx, kind: str, booking_id: UUID, timer_version: int) -> bool:
    raise NotImplementedError(kind)
