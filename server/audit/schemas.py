from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from server.pagination import PageQuery
from server.schemas import AwareDatetime, Out


class AuditEntryOut(Out):
    id: UUID
    at: datetime
    actor_id: UUID | None
    action: str
    entity_type: str
    entity_id: UUID
    correlation_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff: dict[str, list[Any]]


class AuditQuery(PageQuery):
    entity_type: Annotated[str, Meta(max_length=40)] | None = None
    entity_id: UUID | None = None
    actor_id: UUID | None = None
    from_: AwareDatetime | None = msgspec.field(default=None, name="from")
    to: AwareDatetime | None = None


class AuditPage(Out):
    items: list[AuditEntryOut]
    next_cursor: str | None
