"""Subscribable calendar feeds: a secret url per feed, only its SHA-256 kept.

The url names the tenant and the feed and carries the secret as ``token``; serving it
needs no Authorization header, so calendar apps can subscribe. A revoked feed, or one
whose user was deactivated, answers 404 like an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime
from uuid import UUID

from server import errors
from server.calendar import queries
from server.calendar.ics import Event, render_calendar
from server.calendar.schemas import CalendarQuery, FeedCreate, FeedCreated, FeedOut, FeedPage
from server.calendar.service import DEFAULT_PAST, MAX_EVENTS, resource_calendar
from server.db import Tx
from server.pagination import PageQuery, decode_key, page

FEED_PATH = "/v1/calendar-feeds/{tenant_id}/{feed_id}.ics"


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def feed_url(base_url: str, tenant_id: UUID, feed_id: UUID, secret: str) -> str:
    path = FEED_PATH.format(tenant_id=tenant_id, feed_id=feed_id)
    return f"{base_url.rstrip('/')}{path}?token={secret}"


async def create_feed(tx: Tx, body: FeedCreate, *, base_url: str) -> FeedCreated:
    """A new feed of the caller's bookings, or of a resource's (404 if unknown)."""
    assert tx.ctx.user_id is not None
    secret = secrets.token_urlsafe(32)
    row = await queries.insert_feed(
        tx,
        feed_id=uuid.uuid4(),
        user_id=tx.ctx.user_id,
        resource_id=body.resource_id,
        secret_hash=_hash(secret),
    )
    return FeedCreated(
        id=row["id"],
        url=feed_url(base_url, tx.tenant_id, row["id"], secret),
        resource_id=row["resource_id"],
        created_at=row["created_at"],
    )


async def list_feeds(tx: Tx, query: PageQuery) -> FeedPage:
    """A page of the caller's feeds that still work, oldest first (without urls)."""
    assert tx.ctx.user_id is not None
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_feeds(tx, tx.ctx.user_id, after=after, limit=query.limit + 1)
    kept, next_cursor = page(rows, query.limit, key=lambda r: [r["created_at"], r["id"]])
    items = [
        FeedOut(id=r["id"], resource_id=r["resource_id"], created_at=r["created_at"]) for r in kept
    ]
    return FeedPage(items=items, next_cursor=next_cursor)


async def delete_feed(tx: Tx, feed_id: UUID) -> None:
    assert tx.ctx.user_id is not None
    if not await queries.delete_feed(tx, feed_id, tx.ctx.user_id):
        raise errors.NotFound("No such calendar feed")


async def serve_feed(tx: Tx, feed_id: UUID, token: str) -> str:
    """The feed's iCalendar document; 404 unless the feed works and ``token`` is its secret."""
    feed = await queries.get_feed(tx, feed_id)
    if feed is None or not hmac.compare_digest(bytes(feed["secret_hash"]), _hash(token)):
        raise errors.NotFound("No such calendar feed")
    if feed["resource_id"] is not None:
        return await resource_calendar(tx, feed["resource_id"], CalendarQuery())
    start = datetime.now(UTC) - DEFAULT_PAST
    rows = await queries.requester_bookings(
        tx, user_id=feed["user_id"], start=start, end=None, limit=MAX_EVENTS
    )
    events = [
        Event(
            id=row["id"],
            summary=row["title"] or f"Booking #{row['number']}",
            description=f"{row['resource_name']}\n{row['note']}".strip(),
            start=row["start"],
            end=row["end"],
            status=row["status"],
            sequence=row["version"],
            stamp=row["updated_at"],
        )
        for row in reversed(rows)
    ]
    return render_calendar(f"Bookings of {feed['user_name']}", events)
