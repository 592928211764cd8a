from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.resources import service
from server.resources.schemas import (
    ResourceCreate,
    ResourceOut,
    ResourcePage,
    ResourceQuery,
    ResourceUpdate,
)
from server.schemas import Deactivate

api = Api()


@api.route(
    "POST",
    "/v1/resources",
    role="manager",
    summary="Create a resource",
    tag="resources",
    body=ResourceCreate,
    response=ResourceOut,
    status=201,
    errors=(400, 401, 403, 413, 422),
)
async def create_resource(call: Call, tx: Tx) -> ResourceOut:
    return await service.create_resource(tx, call.body)


@api.route(
    "GET",
    "/v1/resources",
    role="viewer",
    summary="List resources by name, filtered by kind, skill and active",
    tag="resources",
    query=ResourceQuery,
    response=ResourcePage,
    errors=(401, 422),
)
async def list_resources(call: Call) -> ResourcePage:
    return await call.rt.db.read(call.auth, lambda tx: service.list_resources(tx, call.query))


@api.route(
    "GET",
    "/v1/resources/{resource_id}",
    role="viewer",
    summary="Get a resource",
    tag="resources",
    response=ResourceOut,
    errors=(401, 404),
)
async def get_resource(call: Call) -> ResourceOut:
    resource_id = call.params["resource_id"]
    return await call.rt.db.read(call.auth, lambda tx: service.get_resource(tx, resource_id))


@api.route(
    "PATCH",
    "/v1/resources/{resource_id}",
    role="manager",
    summary="Edit a resource",
    tag="resources",
    body=ResourceUpdate,
    response=ResourceOut,
    errors=(400, 401, 403, 404, 413, 422),
)
async def update_resource(call: Call, tx: Tx) -> ResourceOut:
    return await service.update_resource(tx, call.params["resource_id"], call.body)


@api.route(
    "DELETE",
    "/v1/resources/{resource_id}",
    role="manager",
    summary="Deactivate a resource (soft delete, with a reason)",
    tag="resources",
    body=Deactivate,
    response=ResourceOut,
    errors=(400, 401, 403, 404, 413, 422),
)
async def deactivate_resource(call: Call, tx: Tx) -> ResourceOut:
    return await service.deactivate_resource(tx, call.params["resource_id"], call.body)


@api.route(
    "POST",
    "/v1/resources/{resource_id}/reactivate",
    role="manager",
    summary="Reactivate a deactivated resource",
    tag="resources",
    response=ResourceOut,
    errors=(401, 403, 404),
)
async def reactivate_resource(call: Call, tx: Tx) -> ResourceOut:
    return await service.reactivate_resource(tx, call.params["resource_id"])
