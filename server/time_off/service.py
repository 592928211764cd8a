"""Time off: created under the resource's lock, refused over blocking bookings or live
holds; bookings, holds and series overlapping it are refused (see ``bookings.blocking``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from server import errors
from server.bookings import blocking
from server.bookings.rules import check_period, utc
from server.bookings.service import lock_periods
from server.db import Tx
from server.events.service import record
from server.pagination import decode_key, page
from server.time_off import queries
from server.time_off.schemas import TimeOffCreate, TimeOffOut, TimeOffPage, TimeOffQuery


def time_off_out(row: Mapping[str, Any]) -> TimeOffOut:
    return TimeOffOut(
        id=row["id"],
        resource_id=row["resource_id"],
        start=utc(row["start"]),
        end=utc(row["end"]),
        reason=row["reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


async def create_time_off(tx: Tx, resource_id: UUID, body: TimeOffCreate) -> TimeOffOut:
    """``time_off.created``; 409 ``booking_conflict`` listing the blocking bookings and live
    holds in the way (time off may overlap other time off)."""
    start, end = utc(body.start), utc(body.end)
    check_period(start, end)
    context = await lock_periods(tx, resource_id, [start], [end])
    if context["resource_id"] is None:
        raise errors.NotFound("resource not found")
    conflicts, _ = blocking.split(context["conflicts"])
    if conflicts:
        raise errors.BookingConflict(
            "Bookings or holds overlap the time off; move or cancel them first",
            conflicts=conflicts,
        )
    row = await queries.insert_time_off(
        tx, time_off_id=uuid.uuid4(), resource_id=resource_id, start=start, end=end,
        reason=body.reason,
    )  # fmt: skip
    out = time_off_out(row)
    await record(
        tx, type="time_off.created", entity_type="time_off", entity_id=out.id, before=None,
        after=out,
    )  # fmt: skip
    return out


async def delete_time_off(tx: Tx, resource_id: UUID, time_off_id: UUID) -> None:
    """``time_off.deleted`` with the time off as it was."""
    row = await queries.delete_time_off(tx, resource_id, time_off_id)
    if row is None:
        raise errors.NotFound("No such time off")
    out = time_off_out(row)
    await record(
        tx, type="time_off.deleted", entity_type="time_off", entity_id=out.id, before=out,
        after=out,
    )  # fmt: skip


async def list_time_off(tx: Tx, resource_id: UUID, query: TimeOffQuery) -> TimeOffPage:
    start = utc(query.from_) if query.from_ is not None else None
    end = utc(query.to) if query.to is not None else None
    if start is not None and end is not None and end <= start:
        raise errors.ValidationFailed.field("to", "must be after `from`")
    if not await queries.resource_exists(tx, resource_id):
        raise errors.NotFound("resource not found")
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_time_off(
        tx, resource_id=resource_id, start=start, end=end, after=after, limit=query.limit + 1
    )
    items, cursor = page(
        [time_off_out(r) for r in rows], query.limit, key=lambda t: [t.start, t.id]
    )
    return TimeOffPage(items=items, next_cursor=cursor)
