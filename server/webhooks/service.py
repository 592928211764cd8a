"""Registering webhooks (admin) and reading their delivery log."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from uuid import UUID

from server import errors
from server.config import Settings
from server.db import Tx
from server.events.schemas import EVENT_TYPES
from server.pagination import PageQuery, decode_key, page
from server.webhooks import queries, targets
from server.webhooks.schemas import (
    ALL_EVENTS,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
)

SECRET_PREFIX = "whsec_"


def _check_events(events: list[str]) -> list[str]:
    """The subscribed types, deduplicated in order; ``*`` must stand alone."""
    bad = [
        {"field": f"events.{i}", "message": f"unknown event type; one of {', '.join(EVENT_TYPES)}"}
        for i, name in enumerate(events)
        if name != ALL_EVENTS and name not in EVENT_TYPES
    ]
    if bad:
        raise errors.ValidationFailed(bad)
    if ALL_EVENTS in events and len(set(events)) > 1:
        raise errors.ValidationFailed.field("events", "`*` already means every event")
    return list(dict.fromkeys(events))


async def check_url(settings: Settings, body: WebhookCreate) -> None:
    """422 on ``url`` unless it is http(s) and (unless allowed) resolves to public addresses."""
    try:
        await targets.check(body.url, allow_private=settings.webhook_allow_private)
    except targets.TargetRefused as exc:
        raise errors.ValidationFailed.field("url", str(exc)) from None


async def create_webhook(tx: Tx, body: WebhookCreate) -> WebhookCreated:
    """A new webhook receiving events committed from now on; the answer holds its secret."""
    events = _check_events(body.events)
    row = await queries.insert_webhook(
        tx,
        webhook_id=uuid.uuid4(),
        url=body.url,
        events=events,
        secret=SECRET_PREFIX + secrets.token_urlsafe(32),
    )
    return WebhookCreated(
        id=row["id"],
        url=row["url"],
        events=list(row["events"]),
        secret=row["secret"],
        created_at=row["created_at"],
    )


async def list_webhooks(tx: Tx, query: PageQuery) -> WebhookPage:
    """A page of the tenant's webhooks, oldest first (without their secrets)."""
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_webhooks(tx, after=after, limit=query.limit + 1)
    kept, next_cursor = page(rows, query.limit, key=lambda r: [r["created_at"], r["id"]])
    items = [
        WebhookOut(id=r["id"], url=r["url"], events=list(r["events"]), created_at=r["created_at"])
        for r in kept
    ]
    return WebhookPage(items=items, next_cursor=next_cursor)


async def delete_webhook(tx: Tx, webhook_id: UUID) -> None:
    """Stop deliveries to the webhook (an attempt in flight finishes first)."""
    if not await queries.delete_webhook(tx, webhook_id):
        raise errors.NotFound("No such webhook")


async def list_deliveries(tx: Tx, webhook_id: UUID, *, limit: int) -> list[DeliveryOut]:
    """The webhook's latest deliveries, newest event first."""
    if not await queries.webhook_exists(tx, webhook_id):
        raise errors.NotFound("No such webhook")
    return [
        DeliveryOut(
            id=r["id"],
            event_seq=r["event_seq"],
            event_type=r["event_type"],
            state=r["state"],
            attempts=r["attempts"],
            last_status=r["last_status"],
            last_error=r["last_error"],
            response_excerpt=r["response_excerpt"],
            last_attempt_at=r["last_attempt_at"],
            next_attempt_at=r["next_attempt_at"],
            delivered_at=r["delivered_at"],
        )
        for r in await queries.list_deliveries(tx, webhook_id, limit=limit)
    ]
