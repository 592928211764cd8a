"""The schedule: seq, resources, bookings, live holds and time off read in one
REPEATABLE READ snapshot."""

from __future__ import annotations

from datetime import timedelta

from server import errors
from server.bookings.rules import utc
from server.bookings.service import booking_out
from server.db import Tx
from server.holds.service import hold_out
from server.resources.service import resource_out
from server.schedule import queries
from server.schedule.schemas import ScheduleOut, ScheduleQuery
from server.time_off.service import time_off_out

MAX_WINDOW = timedelta(days=93)
MAX_RESOURCES = 200
# Bookings one schedule answer may hold; a window holding more is 422 (narrow it).
MAX_BOOKINGS = 5000


async def schedule(tx: Tx, query: ScheduleQuery) -> ScheduleOut:
    """Run inside a repeatable-read transaction so the three reads agree with ``seq``."""
    start, end = utc(query.from_), utc(query.to)
    if end <= start:
        raise errors.ValidationFailed.field("to", "must be after `from`")
    if end - start > MAX_WINDOW:
        raise errors.ValidationFailed.field("to", f"the window may span {MAX_WINDOW.days} days")
    wanted = list(dict.fromkeys(query.resource_ids)) or None
    if wanted is not None and len(wanted) > MAX_RESOURCES:
        raise errors.ValidationFailed.field("resource_ids", f"at most {MAX_RESOURCES} ids")
    seq = await queries.head(tx)
    resources = [resource_out(r) for r in await queries.schedule_resources(tx, wanted)]
    if wanted is not None and len(resources) != len(wanted):
        raise errors.NotFound("resource not found")
    rows = await queries.bookings(tx, wanted, start, end, limit=MAX_BOOKINGS + 1)
    if len(rows) > MAX_BOOKINGS:
        raise errors.InvalidPeriod(
            f"The window holds more than {MAX_BOOKINGS} bookings; ask for fewer days or resources"
        )
    bookings = [booking_out(b) for b in rows]
    holds = [hold_out(h) for h in await queries.holds(tx, wanted, start, end)]
    time_off = [time_off_out(t) for t in await queries.time_off(tx, wanted, start, end)]
    return ScheduleOut(
        seq=seq, resources=resources, bookings=bookings, holds=holds, time_off=time_off
    )
