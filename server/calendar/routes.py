from __future__ import annotations

from starlette.responses import Response

from server.calendar import service
from server.calendar.schemas import CalendarQuery
from server.http.api import Api, Call

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
