"""A resource's calendar feed: one query, rendered oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from server import errors
from server.calendar import queries
from server.calendar.ics import Event, render_calendar
from server.calendar.schemas import CalendarQuery
from server.db import Tx

DEFAULT_PAST = timedelta(days=30)
MAX_EVENTS = 5000


async def resource_calendar(
    tx: Tx, resource_id: UUID, query: CalendarQuery, *, now: datetime | None = None
) -> str:
    """The resource's blocking bookings in the window as an iCalendar document."""
    start = query.from_ or (now or datetime.now(UTC)) - DEFAULT_PAST
    if query.to is not None and query.to <= start:
        raise errors.InvalidPeriod("`to` must be after `from`")
    rows = await queries.calendar_bookings(
        tx, resource_id=resource_id, start=start, end=query.to, limit=MAX_EVENTS
    )
    if not rows:
        raise errors.NotFound("No such resource")
    events = [
        Event(
            id=row["id"],
            summary=row["title"] or f"Booking #{row['number']}",
            description=row["note"],
            start=row["start"],
            end=row["end"],
            status=row["status"],
            sequence=row["version"],
            stamp=row["updated_at"],
        )
        for row in reversed(rows)
        if row["id"] is not None
    ]
    return render_calendar(rows[0]["resource_name"], events)
