"""Holds: create, confirm into a booking, release, expire.

A hold is written under its resource's advisory lock after the same checks as a booking
(``bookings.blocking``), so bookings, holds and time off never overlap. It stops blocking
at ``expires_at`` exactly: the checks compare with the clock, not with a worker's
progress. Its row stays in the holds' own exclusion constraint until released, so a new
hold first releases expired ones in its way (``hold.released``, reason ``expired``); the
deferred ``release_hold`` job and the sweeper release the others.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from server import errors
from server.bookings import blocking
from server.bookings import service as bookings
from server.bookings.rules import check_period, check_target, check_working_hours, is_manager, utc
from server.bookings.schemas import BookingCreate, BookingOut
from server.db import Context, Database, Job, Tx
from server.events.service import record
from server.holds import queries
from server.holds.schemas import (
    HoldConfirm,
    HoldCreate,
    HoldOut,
    HoldPage,
    HoldQuery,
    HoldReleasedOut,
)
from server.pagination import decode_key, page
from server.workflow.durations import DurationError, parse_duration

log = logging.getLogger(__name__)

MIN_TTL = timedelta(minutes=1)
MAX_TTL = timedelta(hours=1)
SWEEP_BATCH = 100


class HoldExpired(errors.Gone):
    code, title = "hold_expired", "Hold expired"


def hold_out(row: Mapping[str, Any]) -> HoldOut:
    return HoldOut(
        id=row["id"],
        resource_id=row["resource_id"],
        start=utc(row["start"]),
        end=utc(row["end"]),
        holder_id=row["holder_id"],
        expires_at=utc(row["expires_at"]),
        created_at=row["created_at"],
    )


def released_out(row: Mapping[str, Any], booking_id: UUID | None = None) -> HoldReleasedOut:
    hold = hold_out(row)
    return HoldReleasedOut(
        id=hold.id, resource_id=hold.resource_id, start=hold.start, end=hold.end,
        holder_id=hold.holder_id, expires_at=hold.expires_at, created_at=hold.created_at,
        reason=row["release_reason"], released_at=utc(row["released_at"]), booking_id=booking_id,
    )  # fmt: skip


def parse_ttl(text: str) -> timedelta:
    try:
        ttl = parse_duration(text)
    except DurationError as exc:
        raise errors.ValidationFailed.field("ttl", str(exc)) from None
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise errors.ValidationFailed.field("ttl", "must be between PT1M and PT1H")
    return ttl


async def _released(tx: Tx, row: Mapping[str, Any], booking_id: UUID | None = None) -> None:
    before = hold_out(row)
    after = released_out(row, booking_id)
    await record(
        tx, type="hold.released", entity_type="hold", entity_id=after.id, before=before,
        after=after,
    )  # fmt: skip


async def create_hold(tx: Tx, body: HoldCreate) -> HoldOut:
    """``hold.created``; refused like a booking of the same period by the caller."""
    ttl = parse_ttl(body.ttl)
    start, end = utc(body.start), utc(body.end)
    check_period(start, end)
    context = await bookings.lock_periods(tx, body.resource_id, [start], [end])
    check_target(context, project_id=None)
    check_period(start, end, context["max_booking_days"])
    check_working_hours(context, start, end, role=tx.ctx.role)
    blocking.refuse(context["conflicts"])
    for row in await queries.release_expired_holds(
        tx, resource_id=body.resource_id, start=start, end=end
    ):
        await _released(tx, row)
    row = await queries.insert_hold(
        tx, hold_id=uuid.uuid4(), resource_id=body.resource_id, start=start, end=end, ttl=ttl
    )
    hold = hold_out(row)
    await record(
        tx, type="hold.created", entity_type="hold", entity_id=hold.id, before=None, after=hold
    )
    tx.enqueue(
        Job(
            name="release_hold",
            args=(str(tx.tenant_id), str(hold.id)),
            job_id=f"hold:{hold.id}",
            defer_until=hold.expires_at,
        )
    )
    return hold


async def _lock(tx: Tx, hold_id: UUID) -> Mapping[str, Any]:
    row = await queries.lock_hold(tx, hold_id)
    if row is None:
        raise errors.NotFound("No such hold")
    if not is_manager(tx.ctx.role) and row["holder_id"] != tx.ctx.user_id:
        raise errors.Forbidden("Only its holder or a manager may confirm or release a hold")
    if not row["live"]:
        raise HoldExpired("The hold has expired or was released")
    return dict(row)


async def confirm_hold(tx: Tx, hold_id: UUID, body: HoldConfirm) -> BookingOut:
    """The booking for exactly the held period, made under the resource's lock while the
    hold still blocks it, so no other writer can take the slot in between; the hold ends
    (``hold.released``, reason ``confirmed``) in the same transaction."""
    hold = await _lock(tx, hold_id)
    released = await queries.release_hold(tx, hold_id, reason="confirmed")
    assert released is not None, "the hold's row is locked and was live"
    booking = await bookings.create_booking(
        tx,
        BookingCreate(
            resource_id=hold["resource_id"], start=hold["start"], end=hold["end"],
            project_id=body.project_id, title=body.title, note=body.note, status=body.status,
        ),
    )  # fmt: skip
    await _released(tx, released, booking.id)
    return booking


async def release_hold(tx: Tx, hold_id: UUID) -> None:
    """``hold.released`` with reason ``released``."""
    await _lock(tx, hold_id)
    row = await queries.release_hold(tx, hold_id, reason="released")
    assert row is not None, "the hold's row is locked and was live"
    await _released(tx, row)


async def list_holds(tx: Tx, query: HoldQuery) -> HoldPage:
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_holds(
        tx, resource_id=query.resource_id, after=after, limit=query.limit + 1
    )
    items, cursor = page([hold_out(r) for r in rows], query.limit, key=lambda h: [h.start, h.id])
    return HoldPage(items=items, next_cursor=cursor)


async def expire_hold(db: Database, tenant_id: UUID, hold_id: UUID) -> str:
    """Release one hold whose time is up (``hold.released``, reason ``expired``); the
    deferred job and the sweeper both come here, so running it twice changes nothing."""
    ctx = Context(tenant_id=tenant_id, request_id=f"hold:{hold_id}")

    async def work(tx: Tx) -> str:
        row = await queries.lock_hold(tx, hold_id)
        if row is None or row["released_at"] is not None:
            return "skipped"
        if row["live"]:
            return "not_due"
        released = await queries.release_hold(tx, hold_id, reason="expired")
        assert released is not None
        await _released(tx, released)
        return "expired"

    return await db.run(ctx, work)


async def sweep(db: Database, *, deadline: float, batch: int = SWEEP_BATCH) -> int:
    """Release every expired hold (until ``deadline``, a monotonic time); returns how many."""
    released = 0
    while time.monotonic() < deadline:
        due = await db.read(None, lambda tx: queries.expired_holds(tx, limit=batch))
        progressed = 0
        for row in due:
            if time.monotonic() >= deadline:
                break
            try:
                outcome = await expire_hold(db, row["tenant_id"], row["id"])
            except Exception:
                log.exception("releasing expired hold %s failed; will retry", row["id"])
                continue
            if outcome == "expired":
                progressed += 1
        released += progressed
        if progressed == 0 or len(due) < batch:
            break
    return released
