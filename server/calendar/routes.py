from __future__ import annotations

from starlette.responses import Response

from server.calendar import feeds, service
from server.calendar.schemas import CalendarQuery, FeedCreate, FeedCreated, FeedPage, FeedQuery
from server.db import Context, Tx
from server.http.api import Api, Call, request_id
from server.pagination import PageQuery

api = Api()
MEDIA = "text/calendar; charset=utf-8"


@api.route(
    "GET",
    "/v1/resources/{resource_id}/calendar.ics",
    role="viewer",
    summary="The resource's blocking bookings as iCalendar (RFC 5545)",
    tag="calendar",
    query=CalendarQuery,
    content_type=MEDIA,
)
async def resource_calendar(call: Call) -> Response:
    query: CalendarQuery = call.query
    resource_id = call.params["resource_id"]
    body = await call.rt.db.read(
        call.auth, lambda tx: service.resource_calendar(tx, resource_id, query)
    )
    return Response(
        body,
        media_type=MEDIA,
        headers={
            "Content-Disposition": f'inline; filename="resource-{resource_id}.ics"',
            "Cache-Control": "private, no-cache",
        },
    )


@api.route(
    "POST",
    "/v1/calendar-feeds",
    role="viewer",
    summary="Create a subscribable feed (secret url) of your bookings or a resource's",
    tag="calendar",
    body=FeedCreate,
    response=FeedCreated,
    status=201,
    errors=(400, 401, 404, 413, 422),
)
async def create_feed(call: Call, tx: Tx) -> FeedCreated:
    base = call.rt.settings.public_url or str(call.request.base_url)
    return await feeds.create_feed(tx, call.body, base_url=base)


@api.route(
    "GET",
    "/v1/calendar-feeds",
    role="viewer",
    summary="Your calendar feeds (their urls are shown only when created)",
    tag="calendar",
    query=PageQuery,
    response=FeedPage,
    errors=(401, 422),
)
async def list_feeds(call: Call) -> FeedPage:
    query: PageQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: feeds.list_feeds(tx, query))


@api.route(
    "DELETE",
    "/v1/calendar-feeds/{feed_id}",
    role="viewer",
    summary="Revoke one of your calendar feeds; its url answers 404 from then on",
    tag="calendar",
    status=204,
    errors=(401, 404),
)
async def delete_feed(call: Call, tx: Tx) -> None:
    await feeds.delete_feed(tx, call.params["feed_id"])


@api.route(
    "GET",
    feeds.FEED_PATH,
    role=None,
    summary="A calendar feed by its secret url (no Authorization header)",
    tag="calendar",
    query=FeedQuery,
    content_type=MEDIA,
    errors=(404, 422),
)
async def serve_feed(call: Call) -> Response:
    query: FeedQuery = call.query
    ctx = Context(tenant_id=call.params["tenant_id"], request_id=request_id(call.request))
    feed_id = call.params["feed_id"]
    body = await call.rt.db.read(ctx, lambda tx: feeds.serve_feed(tx, feed_id, query.token))
    return Response(
        body,
        media_type=MEDIA,
        headers={
            "Content-Disposition": f'inline; filename="calendar-{feed_id}.ics"',
            "Cache-Control": "private, no-cache",
        },
    )
