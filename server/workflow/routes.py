from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.workflow import service
from server.workflow.schemas import WorkflowSettingsOut, WorkflowSettingsUpdate

api = Api()


@api.route(
    "GET",
    "/v1/workflow",
    role="admin",
    summary="The tenant's workflow settings",
    tag="workflow",
    response=WorkflowSettingsOut,
    errors=(401, 403),
)
async def get_workflow(call: Call) -> WorkflowSettingsOut:
    return await call.rt.db.read(call.auth, service.get_settings)


@api.route(
    "PUT",
    "/v1/workflow",
    role="admin",
    summary="Replace the tenant's workflow settings (all five workflow fields required)",
    tag="workflow",
    body=WorkflowSettingsUpdate,
    response=WorkflowSettingsOut,
    errors=(400, 401, 403, 413, 422),
)
async def put_workflow(call: Call, tx: Tx) -> WorkflowSettingsOut:
    return await service.update_settings(tx, call.body)
