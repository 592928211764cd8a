"""Availability of one resource over a window: one query, one pass."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from server import errors
from server.availability import queries
from server.availability.hours import Interval, subtract, working_intervals
from server.availability.schemas import AvailabilityOut, AvailabilityQuery, BusyPeriod, FreePeriod
from server.db import Tx

MAX_WINDOW = timedelta(days=93)
# Blocking bookings one answer may hold; a window holding more is 422 (narrow it).
MAX_BOOKINGS = 5000


def check_window(query: AvailabilityQuery) -> None:
    if query.to <= query.from_:
        raise errors.InvalidPeriod("`to` must be after `from`")
    if query.to - query.from_ > MAX_WINDOW:
        raise errors.InvalidPeriod(f"The window may span at most {MAX_WINDOW.days} days")


async def availability(tx: Tx, query: AvailabilityQuery) -> AvailabilityOut:
    """Free and busy time of ``query.resource_id`` within ``[from, to)``."""
    check_window(query)
    start, end = query.from_.astimezone(UTC), query.to.astimezone(UTC)
    rows = await queries.availability_window(
        tx, resource_id=query.resource_id, start=start, end=end, limit=MAX_BOOKINGS + 1
    )
    if not rows:
        raise errors.NotFound("No such resource")
    if len(rows) > MAX_BOOKINGS:
        raise errors.InvalidPeriod(
            f"The window holds more than {MAX_BOOKINGS} bookings; ask for fewer days"
        )
    resource = rows[0]
    busy = [
        BusyPeriod(
            start=row["start"].astimezone(UTC),
            end=row["end"].astimezone(UTC),
            booking_id=row["booking_id"],
            status=row["status"],
        )
        for row in rows
        if row["booking_id"] is not None
    ]
    free: list[Interval] = []
    if resource["deactivated_at"] is None:
        hours: Any = resource["working_hours"]
        working = working_intervals(hours, resource["timezone"], start, end)
        free = subtract(working, ((b.start, b.end) for b in busy))
    return AvailabilityOut(
        resource_id=query.resource_id,
        free=[FreePeriod(start=lo, end=hi) for lo, hi in free],
        busy=busy,
    )
