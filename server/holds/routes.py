from __future__ import annotations

from server.bookings.schemas import BookingOut
from server.holds import operations, service
from server.holds.schemas import HoldOut, HoldPage, HoldQuery
from server.http.api import Api, Call

api = Api()


api.operation(
    operations.CREATE,
    summary="Hold a period of a resource for a while (ttl PT1M-PT1H, default PT10M)",
    tag="holds",
    response=HoldOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
)


@api.route(
    "GET",
    "/v1/holds",
    role="viewer",
    summary="Live holds by (start, id)",
    tag="holds",
    query=HoldQuery,
    response=HoldPage,
    errors=(401, 422),
)
async def list_holds(call: Call) -> HoldPage:
    return await call.rt.db.read(call.auth, lambda tx: service.list_holds(tx, call.query))


api.operation(
    operations.CONFIRM,
    summary="Turn a live hold into a booking of exactly its period (holder or manager)",
    tag="holds",
    response=BookingOut,
    errors=(400, 401, 403, 404, 409, 410, 413, 422),
)
api.operation(
    operations.RELEASE,
    summary="Release a live hold (holder or manager)",
    tag="holds",
    response=None,
    errors=(401, 403, 404, 410),
)
