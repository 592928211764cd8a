from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from server.db import Tx
from server.sql import QUERIES


async def insert_audit(
    tx: Tx,
    *,
    action: str,
    entity_type: str,
    entity_id: UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    diff: dict[str, list[Any]],
) -> None:
    await tx.execute(
        QUERIES["insert_audit"],
        tx.tenant_id,
        uuid.uuid4(),
        tx.ctx.user_id,
        action,
        entity_type,
        entity_id,
        tx.ctx.request_id,
        before,
        after,
        diff,
    )
