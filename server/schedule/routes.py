from __future__ import annotations

from server.http.api import Api, Call
from server.schedule import service
from server.schedule.schemas import ScheduleOut, ScheduleQuery

api = Api()


@api.route(
    "GET",
    "/v1/schedule",
    role="viewer",
    summary="Resources and bookings overlapping [from, to) in one snapshot, with its seq",
    tag="schedule",
    query=ScheduleQuery,
    response=ScheduleOut,
    errors=(401, 404, 422),
)
async def get_schedule(call: Call) -> ScheduleOut:
    query: ScheduleQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.schedule(tx, query), snapshot=True)
