"""Delivering events to webhooks from the events table, in ``seq`` order per webhook.

Each webhook has a cursor: the last seq acknowledged (2xx), given up, or not subscribed
to. A run is one transaction: lock the webhook row ``FOR UPDATE SKIP LOCKED`` (so one
worker at a time sends for it), read the next wanted events past the cursor, POST them
one after another (each only once the previous one was acknowledged or given up), log
the attempts and move the cursor (or set the webhook's ``retry_at``), commit. A worker
killed mid-run rolls it back and the next run sends the same events again with the same
``X-Booking-Delivery`` ids: at least once, never out of order. A failed attempt is
retried with exponential backoff until the event is ``BOOKING_WEBHOOK_GIVE_UP_SECONDS``
old (a day by default), then given up, and the next event goes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import aiohttp
import msgspec

from server.config import Settings
from server.db import Context, Database, Tx
from server.events.schemas import EventOut
from server.webhooks import queries, sender

log = logging.getLogger(__name__)

# X-Booking-Delivery is derived from (webhook, seq), so a retry after a crash keeps it.
DELIVERY_NAMESPACE = uuid.UUID("6f3c0d52-8d57-4a56-9b0c-2b7e5e0c4a11")
_encoder = msgspec.json.Encoder()
# Events sent in one transaction (each still waits for the previous one's answer); a
# worker killed mid-batch sends the batch again, with the same delivery ids.
BATCH = 100
BATCH_SECONDS = 2.0


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


async def attempt(
    tx: Tx,
    settings: Settings,
    http: aiohttp.ClientSession,
    webhook_id: UUID,
    *,
    batch: int = BATCH,
) -> str:
    """Send the webhook's next events one after another, each once the previous one was
    acknowledged or given up, and log them, in the caller's transaction (at most ``batch``
    events, none started after ``BATCH_SECONDS``). Returns what stopped it: ``busy``
    (locked elsewhere or gone), ``waiting`` (a retry is not due), ``idle`` (caught up),
    ``more`` (it sent what it read; more may have been committed meanwhile) or ``retry``
    (an attempt failed)."""
    hook = await queries.claim_webhook(tx, webhook_id)
    if hook is None:
        return "busy"
    if hook["retry_at"] is not None and hook["retry_at"] > datetime.now(UTC):
        return "waiting"
    rows = await queries.next_events(
        tx, webhook_id, after=hook["cursor_seq"], types=list(hook["events"]), limit=batch
    )
    if rows[0]["seq"] is None:
        if rows[0]["head"] is not None:
            await queries.skip_events(tx, webhook_id, through=rows[0]["head"])
        return "idle"
    backoff = Backoff.from_settings(settings)
    stop_at = time.monotonic() + BATCH_SECONDS
    done: list[queries.Attempt] = []
    finished: int | None = None
    retry_at: datetime | None = None
    result = "more"
    for row in rows:
        if done and time.monotonic() >= stop_at:
            break
        event = EventOut(
            seq=row["seq"],
            type=row["type"],
            at=row["at"],
            actor_id=row["actor_id"],
            data=row["data"],
        )
        identifier = delivery_id(webhook_id, event.seq)
        outcome = await sender.post(
            http,
            url=hook["url"],
            secret=hook["secret"],
            body=payload(event),
            event_type=event.type,
            delivery_id=str(identifier),
            time_limit=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private,
        )
        now = datetime.now(UTC)
        if outcome.ok:
            state = "delivered"
        elif now >= event.at + backoff.give_up:
            state = "failed"
        else:
            state = "pending"
            retry_at = now + backoff.delay(int(row["attempts"]) + 1)
        done.append(
            queries.Attempt(
                delivery_id=identifier,
                seq=event.seq,
                event_type=event.type,
                state=state,
                status=outcome.status,
                error=outcome.error[:1000] if outcome.error else None,
                excerpt=outcome.excerpt,
                at=now,
            )
        )
        if state != "delivered":
            log.info("webhook %s event %d: %s (%s)", webhook_id, event.seq, outcome.error, state)
        if state == "pending":
            result = "retry"
            break
        finished = event.seq
    await queries.record_attempts(
        tx, webhook_id, done, finished_through=finished, retry_at=retry_at
    )
    return result


async def drain(
    db: Database,
    settings: Settings,
    http: aiohttp.ClientSession,
    tenant_id: UUID,
    webhook_id: UUID,
    *,
    deadline: float,
) -> int:
    """Send the webhook's events, batch after batch (one transaction each), until it is
    caught up, waits for a retry, is taken by another worker, or ``deadline`` (monotonic)
    passes; returns how many runs sent something."""
    ctx = Context(tenant_id=tenant_id, request_id=f"webhook:{webhook_id}")
    batches = 0
    while time.monotonic() < deadline:
        result = await db.run(ctx, lambda tx: attempt(tx, settings, http, webhook_id))
        if result not in ("more", "retry"):
            break
        batches += 1
        if result == "retry":
            break
    return batches


async def backlog(db: Database, *, limit: int) -> list[tuple[UUID, UUID]]:
    """``(tenant_id, webhook_id)`` of webhooks with events to send now, across tenants."""
    rows = await db.read(None, lambda tx: queries.backlog(tx, limit=limit))
    return [(row["tenant_id"], row["id"]) for row in rows]
