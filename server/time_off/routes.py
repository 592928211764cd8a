from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.time_off import service
from server.time_off.schemas import TimeOffCreate, TimeOffOut, TimeOffPage, TimeOffQuery

api = Api()


@api.route(
    "POST",
    "/v1/resources/{resource_id}/time-off",
    role="manager",
    summary="Make a resource unavailable for a period (refused over bookings or live holds)",
    tag="time off",
    body=TimeOffCreate,
    response=TimeOffOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
async def create_time_off(call: Call, tx: Tx) -> TimeOffOut:
    return await service.create_time_off(tx, call.params["resource_id"], call.body)


@api.route(
    "GET",
    "/v1/resources/{resource_id}/time-off",
    role="viewer",
    summary="A resource's time off by (start, id); from/to select what overlaps [from, to)",
    tag="time off",
    query=TimeOffQuery,
    response=TimeOffPage,
    errors=(401, 404, 422),
)
async def list_time_off(call: Call) -> TimeOffPage:
    resource_id = call.params["resource_id"]
    return await call.rt.db.read(
        call.auth, lambda tx: service.list_time_off(tx, resource_id, call.query)
    )


@api.route(
    "DELETE",
    "/v1/resources/{resource_id}/time-off/{time_off_id}",
    role="manager",
    summary="Remove time off",
    tag="time off",
    status=204,
    errors=(401, 403, 404),
)
async def delete_time_off(call: Call, tx: Tx) -> None:
    await service.delete_time_off(tx, call.params["resource_id"], call.params["time_off_id"])
