from __future__ import annotations

from server.availability import service
from server.availability.schemas import AvailabilityOut, AvailabilityQuery
from server.http.api import Api, Call

api = Api()


@api.route(
    "GET",
    "/v1/availability",
    role="viewer",
    summary="Free and busy time of a resource (working hours minus blocking bookings)",
    tag="availability",
    query=AvailabilityQuery,
    response=AvailabilityOut,
    errors=(404,),
)
async def get_availability(call: Call) -> AvailabilityOut:
    query: AvailabilityQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.availability(tx, query))
