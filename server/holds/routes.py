from __future__ import annotations

from server.bookings.schemas import BookingOut
from server.db import Tx
from server.holds import service
from server.holds.schemas import HoldConfirm, HoldCreate, HoldOut, HoldPage, HoldQuery
from server.http.api import Api, Call

api = Api()


@api.route(
    "POST",
    "/v1/holds",
    role="member",
    summary="Hold a period of a resource for a while (ttl PT1M-PT1H, default PT10M)",
    tag="holds",
    body=HoldCreate,
    response=HoldOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
async def create_hold(call: Call, tx: Tx) -> HoldOut:
    return await service.create_hold(tx, call.body)


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


@api.route(
    "POST",
    "/v1/holds/{hold_id}/confirm",
    role="member",
    summary="Turn a live hold into a booking of exactly its period (holder or manager)",
    tag="holds",
    body=HoldConfirm,
    response=BookingOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 410, 413, 422),
)
async def confirm_hold(call: Call, tx: Tx) -> BookingOut:
    return await service.confirm_hold(tx, call.params["hold_id"], call.body)


@api.route(
    "DELETE",
    "/v1/holds/{hold_id}",
    role="member",
    summary="Release a live hold (holder or manager)",
    tag="holds",
    status=204,
    errors=(401, 403, 404, 410),
)
async def release_hold(call: Call, tx: Tx) -> None:
    await service.release_hold(tx, call.params["hold_id"])
