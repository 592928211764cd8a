from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.pagination import PageQuery
from server.webhooks import service
from server.webhooks.schemas import (
    DeliveryOut,
    DeliveryQuery,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
)

api = Api()


@api.route(
    "POST",
    "/v1/webhooks",
    role="admin",
    summary="Register a webhook: matching events are POSTed, signed, in seq order",
    tag="webhooks",
    body=WebhookCreate,
    response=WebhookCreated,
    status=201,
    errors=(400, 401, 403, 413, 422),
)
async def create_webhook(call: Call, tx: Tx) -> WebhookCreated:
    body: WebhookCreate = call.body
    await service.check_url(call.rt.settings, body)
    return await service.create_webhook(tx, body)


@api.route(
    "GET",
    "/v1/webhooks",
    role="admin",
    summary="List the tenant's webhooks (without their secrets)",
    tag="webhooks",
    query=PageQuery,
    response=WebhookPage,
    errors=(401, 403, 422),
)
async def list_webhooks(call: Call) -> WebhookPage:
    query: PageQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.list_webhooks(tx, query))


@api.route(
    "DELETE",
    "/v1/webhooks/{webhook_id}",
    role="admin",
    summary="Delete a webhook; no further deliveries are attempted",
    tag="webhooks",
    status=204,
    errors=(401, 403, 404),
)
async def delete_webhook(call: Call, tx: Tx) -> None:
    await service.delete_webhook(tx, call.params["webhook_id"])


@api.route(
    "GET",
    "/v1/webhooks/{webhook_id}/deliveries",
    role="admin",
    summary="A webhook's latest deliveries, newest event first",
    tag="webhooks",
    query=DeliveryQuery,
    response=list[DeliveryOut],
    errors=(401, 403, 404, 422),
)
async def list_deliveries(call: Call) -> list[DeliveryOut]:
    webhook_id = call.params["webhook_id"]
    query: DeliveryQuery = call.query
    return await call.rt.db.read(
        call.auth, lambda tx: service.list_deliveries(tx, webhook_id, limit=query.limit)
    )
