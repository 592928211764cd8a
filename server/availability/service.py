"""Availability of one resource over a window: one query, one pass."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

import msgspec

from server import errors
from server.availability import queries
from server.availability.hours import Interval, subtract, working_intervals
from server.availability.schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    BusyPeriod,
    FreePeriod,
    SearchOut,
    SearchQuery,
    Slot,
)
from server.availability.search import find_slots
from server.db import Tx
from server.workflow.durations import DurationError, parse_duration

MAX_WINDOW = timedelta(days=93)
# Blocking bookings one answer may hold; a window holding more is 422 (narrow it).
MAX_BOOKINGS = 5000


def check_window(query: AvailabilityQuery | SearchQuery) -> None:
    if query.to <= query.from_:
        raise errors.InvalidPeriod("`to` must be after `from`")
    if query.to - query.from_ > MAX_WINDOW:
        raise errors.InvalidPeriod(f"The window may span at most {MAX_WINDOW.days} days")


def _busy(row: Mapping[str, Any]) -> BusyPeriod:
    busy = BusyPeriod(
        start=row["start"].astimezone(UTC), end=row["end"].astimezone(UTC), status=row["status"]
    )
    return msgspec.structs.replace(busy, **{f"{row['kind']}_id": row["id"]})


def _duration(text: str, field: str) -> timedelta:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise errors.ValidationFailed.field(field, str(exc)) from None


async def search(tx: Tx, query: SearchQuery) -> SearchOut:
    """Free slots of exactly ``duration`` on active resources matching every filter; two
    queries whatever the number of resources (see ``search``)."""
    check_window(query)
    problems: list[dict[str, str]] = []
    lengths: dict[str, timedelta] = {}
    for field in ("duration", "step"):
        try:
            lengths[field] = _duration(getattr(query, field), field)
        except errors.ValidationFailed as err:
            problems += err.extras["errors"]
    if problems:
        raise errors.ValidationFailed(problems)
    start, end = query.from_.astimezone(UTC), query.to.astimezone(UTC)
    resources = await queries.search_resources(
        tx,
        kind=query.kind,
        skills=sorted(set(query.skill)) or None,
        resource_ids=list(dict.fromkeys(query.resource_ids)) or None,
    )
    if not resources:
        return SearchOut(slots=[])
    busy: dict[UUID, list[Interval]] = {}
    rows = await queries.search_busy(
        tx, resource_ids=[r["id"] for r in resources], start=start, end=end
    )
    for row in rows:
        busy.setdefault(row["resource_id"], []).append((row["start"], row["end"]))
    found = find_slots(
        resources, busy, (start, end), duration=lengths["duration"], step=lengths["step"],
        limit=query.limit,
    )  # fmt: skip
    duration = lengths["duration"]
    return SearchOut(slots=[Slot(resource_id=r, start=s, end=s + duration) for s, r in found])


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
    busy = [_busy(row) for row in rows if row["id"] is not None]
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
