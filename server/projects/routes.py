from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.projects import service
from server.projects.schemas import (
    ProjectCreate,
    ProjectOut,
    ProjectPage,
    ProjectQuery,
    ProjectUpdate,
)
from server.schemas import Deactivate

api = Api()


@api.route(
    "POST",
    "/v1/projects",
    role="manager",
    summary="Create a project",
    tag="projects",
    body=ProjectCreate,
    response=ProjectOut,
    status=201,
    errors=(400, 401, 403, 409, 413, 422),
)
async def create_project(call: Call, tx: Tx) -> ProjectOut:
    return await service.create_project(tx, call.body)


@api.route(
    "GET",
    "/v1/projects",
    role="viewer",
    summary="List projects by name with booked hours, optionally only active ones",
    tag="projects",
    query=ProjectQuery,
    response=ProjectPage,
    errors=(401, 422),
)
async def list_projects(call: Call) -> ProjectPage:
    return await call.rt.db.read(call.auth, lambda tx: service.list_projects(tx, call.query))


@api.route(
    "GET",
    "/v1/projects/{project_id}",
    role="viewer",
    summary="Get a project",
    tag="projects",
    response=ProjectOut,
    errors=(401, 404),
)
async def get_project(call: Call) -> ProjectOut:
    project_id = call.params["project_id"]
    return await call.rt.db.read(call.auth, lambda tx: service.get_project(tx, project_id))


@api.route(
    "PATCH",
    "/v1/projects/{project_id}",
    role="manager",
    summary="Edit a project",
    tag="projects",
    body=ProjectUpdate,
    response=ProjectOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
async def update_project(call: Call, tx: Tx) -> ProjectOut:
    return await service.update_project(tx, call.params["project_id"], call.body)


@api.route(
    "DELETE",
    "/v1/projects/{project_id}",
    role="manager",
    summary="Deactivate a project (soft delete, with a reason)",
    tag="projects",
    body=Deactivate,
    response=ProjectOut,
    errors=(400, 401, 403, 404, 413, 422),
)
async def deactivate_project(call: Call, tx: Tx) -> ProjectOut:
    return await service.deactivate_project(tx, call.params["project_id"], call.body)


@api.route(
    "POST",
    "/v1/projects/{project_id}/reactivate",
    role="manager",
    summary="Reactivate a deactivated project",
    tag="projects",
    response=ProjectOut,
    errors=(401, 403, 404),
)
async def reactivate_project(call: Call, tx: Tx) -> ProjectOut:
    return await service.reactivate_project(tx, call.params["project_id"])
