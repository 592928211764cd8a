from __future__ import annotations

from server.availability import service
from server.availability.schemas import AvailabilityOut, AvailabilityQuery, SearchOut, SearchQuery
from server.http.api import Api, Call

api = Api()


@api.route(
    "GET",
    "/v1/availability",
    role="viewer",
    summary="Free and busy time of a resource (working hours minus bookings, holds, time off)",
    tag="availability",
    query=AvailabilityQuery,
    response=AvailabilityOut,
    errors=(404,),
)
async def get_availability(call: Call) -> AvailabilityOut:
    query: AvailabilityQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.availability(tx, query))


@api.route(
    "GET",
    "/v1/availability/search",
    role="viewer",
    summary="Free slots of a duration across resources, by (start, resource_id)",
    tag="availability",
    query=SearchQuery,
    response=SearchOut,
    errors=(401, 422),
)
async def search_availability(call: Call) -> SearchOut:
    query: SearchQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.search(tx, query))
