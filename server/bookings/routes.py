from __future__ import annotations

from server.bookings import operations, service
from server.bookings.schemas import BookingOut, BookingPage, BookingQuery, BookingUpdate
from server.db import Tx
from server.http.api import Api, Call

api = Api()
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)


api.operation(
    operations.CREATE,
    summary="Book a resource for a period",
    tag="bookings",
    response=BookingOut,
    errors=WRITE_ERRORS,
)


@api.route(
    "GET",
    "/v1/bookings",
    role="viewer",
    summary="List bookings by (start, id); from/to select those overlapping [from, to)",
    tag="bookings",
    query=BookingQuery,
    response=BookingPage,
    errors=(401, 422),
)
async def list_bookings(call: Call) -> BookingPage:
    return await call.rt.db.read(call.auth, lambda tx: service.list_bookings(tx, call.query))


@api.route(
    "GET",
    "/v1/bookings/{booking_id}",
    role="viewer",
    summary="Get a booking",
    tag="bookings",
    response=BookingOut,
    errors=(401, 404),
)
async def get_booking(call: Call) -> BookingOut:
    booking_id = call.params["booking_id"]
    return await call.rt.db.read(call.auth, lambda tx: service.get_booking(tx, booking_id))


@api.route(
    "PATCH",
    "/v1/bookings/{booking_id}",
    role="member",
    summary="Edit or reschedule a booking (If-Match: version)",
    tag="bookings",
    body=BookingUpdate,
    response=BookingOut,
    errors=WRITE_ERRORS,
    if_match=True,
)
async def update_booking(call: Call, tx: Tx) -> BookingOut:
    booking_id = call.params["booking_id"]
    return await service.update_booking(tx, booking_id, call.body, if_match=call.if_match)


SUMMARIES = {
    "approve": "Approve a pending booking",
    "reject": "Reject a pending booking",
    "cancel": "Cancel a pending or confirmed booking (members: their own)",
    "complete": "Complete a confirmed booking",
    "assign": "Move a pending or confirmed booking to another resource",
}
for _action, _op in operations.TRANSITIONS.items():
    api.operation(
        _op, summary=SUMMARIES[_action], tag="bookings", response=BookingOut, errors=WRITE_ERRORS
    )
