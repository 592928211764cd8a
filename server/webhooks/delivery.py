"""Delivering events to webhooks from the events table, in ``seq`` order per webhook.

Each webhook has a cursor: the last seq acknowledged (2xx), given up, or not subscribed
to. An attempt is one transaction: lock the webhook row ``FOR UPDATE SKIP LOCKED`` (so one
worker at a time sends for it), read the first wanted event past the cursor, POST it, log
the attempt and move the cursor (or set the webhook's ``retry_at``), commit. A worker
killed mid-attempt rolls everything back and the next run sends the same event again
with the same ``X-Booking-Delivery`` id: at least once, never out of order. A failed
attempt is retried with exponential backoff until the event is
``BOOKING_WEBHOOK_GIVE_UP_SECONDS`` old (a day by default), then given up, and the
next event goes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import msgspec

from server.config import Settings
from server.db import Context, Database, Tx
from server.events.schemas import EventOut
from server.webhooks import queries, sender

log = logging.getLogger(__name__)

# X-Booking-Delivery is derived from (webhook, seq), so a retry after a crash keeps it.
DELIVERY_NAMESPACE = uuid.UUID("6f3c0d52-8d57-4a56-9b0c-2b7e5e0c4a11")
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between attempts: ``first`` doubling up to ``longest``; give up at ``give_up``
    after the event."""

    first: timedelta
    longest: timedelta
    give_up: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Backoff:
        return cls(
            first=timedelta(seconds=settings.webhook_retry_seconds),
            longest=timedelta(seconds=settings.webhook_retry_max_seconds),
            give_up=timedelta(seconds=settings.webhook_give_up_seconds),
        )

    def delay(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts."""
        exponent = min(max(attempts - 1, 0), 40)
        delay: timedelta = self.first * 2**exponent
        return min(delay, self.longest)


def delivery_id(webhook_id: UUID, seq: int) -> UUID:
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{webhook_id}:{seq}")


def payload(event: EventOut) -> bytes:
    """The event's socket payload, byte for byte what is signed and sent."""
    return _encoder.encode(event)


async def attempt(tx: Tx, settings: Settings, http: httpx.AsyncClient, webhook_id: UUID) -> str:
    """One attempt for one webhook in the caller's transaction; returns what happened:
    ``busy`` (locked elsewhere or gone), ``waiting`` (a retry is not due), ``idle``
    (caught up), ``delivered``, ``given_up`` or ``retry``."""
    row = await queries.claim_webhook_event(tx, webhook_id)
    if row is None:
        return "busy"
    if row["retry_at"] is not None and row["retry_at"] > datetime.now(UTC):
        return "waiting"
    if row["seq"] is None:
        if row["head"] is not None:
            await queries.skip_events(tx, webhook_id, through=row["head"])
        return "idle"
    event = EventOut(
        seq=row["seq"], type=row["type"], at=row["at"], actor_id=row["actor_id"], data=row["data"]
    )
    body = payload(event)
    identifier = delivery_id(webhook_id, event.seq)
    outcome = await sender.post(
        http,
        url=row["url"],
        secret=row["secret"],
        body=body,
        event_type=event.type,
        delivery_id=str(identifier),
        time_limit=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private,
    )
    backoff = Backoff.from_settings(settings)
    attempts = int(row["attempts"]) + 1
    finished = datetime.now(UTC)
    if outcome.ok:
        state, result, retry_at = "delivered", "delivered", None
    elif finished >= event.at + backoff.give_up:
        state, result, retry_at = "failed", "given_up", None
    else:
        state, result, retry_at = "pending", "retry", finished + backoff.delay(attempts)
    await queries.record_attempt(
        tx,
        webhook_id,
        delivery_id=identifier,
        seq=event.seq,
        event_type=event.type,
        state=state,
        status=outcome.status,
        error=outcome.error[:1000] if outcome.error else None,
        excerpt=outcome.excerpt,
        next_attempt_at=retry_at,
    )
    if result != "delivered":
        log.info(
            "webhook %s event %d attempt %d: %s", webhook_id, event.seq, attempts, outcome.error
        )
    return result


async def drain(
    db: Database,
    settings: Settings,
    http: httpx.AsyncClient,
    tenant_id: UUID,
    webhook_id: UUID,
    *,
    deadline: float,
) -> int:
    """Attempt the webhook's events one after another until it is caught up, waits for a
    retry, is taken by another worker, or ``deadline`` (monotonic) passes; returns how
    many were delivered or given up."""
    ctx = Context(tenant_id=tenant_id, request_id=f"webhook:{webhook_id}")
    done = 0
    while time.monotonic() < deadline:
        result = await db.run(ctx, lambda tx: attempt(tx, settings, http, webhook_id))
        if result not in ("delivered", "given_up"):
            break
        done += 1
    return done


async def backlog(db: Database, *, limit: int) -> list[tuple[UUID, UUID]]:
    """``(tenant_id, webhook_id)`` of webhooks with events to send now, across tenants."""
    rows = await db.read(None, lambda tx: queries.backlog(tx, limit=limit))
    return [(row["tenant_id"], row["id"]) for row in rows]
