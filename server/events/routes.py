from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from server.events import service
from server.events.schemas import EventsPage
from server.http.api import Api, Call
from server.schemas import Schema

api = Api()


class EventsQuery(Schema):
    since: Annotated[int, Meta(ge=0, description="The last seq the client has applied")] = 0
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100


@api.route(
    "GET",
    "/v1/events",
    role="viewer",
    summary="Events after a seq, in seq order (410 resync_required when pruned)",
    tag="events",
    query=EventsQuery,
    response=EventsPage,
    errors=(401, 410, 422),
)
async def list_events(call: Call) -> EventsPage:
    query: EventsQuery = call.query
    return await call.rt.db.read(
        call.auth, lambda tx: service.since(tx, since=query.since, limit=query.limit)
    )
