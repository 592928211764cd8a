from __future__ import annotations

from server.bookings import service, transitions
from server.bookings.schemas import (
    AssignBody,
    BookingCreate,
    BookingOut,
    BookingPage,
    BookingQuery,
    BookingUpdate,
    TransitionBody,
)
from server.db import Tx
from server.http.api import Api, Call, Handler

api = Api()
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)


@api.route(
    "POST",
    "/v1/bookings",
    role=transitions.CREATE_ROLE,
    summary="Book a resource for a period",
    tag="bookings",
    body=BookingCreate,
    response=BookingOut,
    status=201,
    errors=WRITE_ERRORS,
)
async def create_booking(call: Call, tx: Tx) -> BookingOut:
    return await service.create_booking(tx, call.body)


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


def _transition(action: str, summary: str) -> Handler:
    role = transitions.ACTIONS[action].role

    @api.route(
        "POST",
        f"/v1/bookings/{{booking_id}}/{action}",
        role=role,
        summary=summary,
        tag="bookings",
        body=TransitionBody,
        response=BookingOut,
        errors=WRITE_ERRORS,
    )
    async def handler(call: Call, tx: Tx) -> BookingOut:
        body: TransitionBody = call.body
        return await transitions.act(tx, call.params["booking_id"], action, reason=body.reason)

    return handler


_transition("approve", "Approve a pending booking")
_transition("reject", "Reject a pending booking")
_transition("cancel", "Cancel a pending or confirmed booking (members: their own)")
_transition("complete", "Complete a confirmed booking")


@api.route(
    "POST",
    "/v1/bookings/{booking_id}/assign",
    role=transitions.ACTIONS["assign"].role,
    summary="Move a pending or confirmed booking to another resource",
    tag="bookings",
    body=AssignBody,
    response=BookingOut,
    errors=WRITE_ERRORS,
)
async def assign_booking(call: Call, tx: Tx) -> BookingOut:
    body: AssignBody = call.body
    return await transitions.act(
        tx, call.params["booking_id"], "assign", reason=body.reason, resource_id=body.resource_id
    )
