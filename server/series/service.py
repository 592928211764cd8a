"""Series: every occurrence in one transaction through the booking write path's rules.

Statements: set_config; the resource's lock with resource, project and settings
(``lock_periods`` with no period yet: the rule is expanded in the resource's zone);
``series_conflicts`` for every occurrence at once; the project's row lock only when it has
a budget; ``insert_series`` (series, bookings, audit rows, events and one counter update
in one statement); timers only when the tenant set a workflow clock. A series of 52 or
366 occurrences costs the same 4 statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from server import errors
from server.availability.hours import within_working_hours
from server.bookings import blocking, transitions
from server.bookings import service as bookings
from server.bookings.rules import (
    OutsideWorkingHours,
    check_period,
    check_target,
    initial_status,
    is_manager,
    utc,
)
from server.db import Tx
from server.series import queries
from server.series.recurrence import Period, check_rule, expand, total
from server.series.schemas import RecurrenceOut, SeriesCancel, SeriesCreate, SeriesOut
from server.workflow.timers import TimerSettings, schedule_timers


def _check_working_hours(context: Mapping[str, Any], periods: list[Period], role: Any) -> None:
    if is_manager(role):
        return
    outside = [
        s for s, e in periods
        if not within_working_hours(context["working_hours"], context["timezone"], s, e)
    ]  # fmt: skip
    if outside:
        raise OutsideWorkingHours(
            f"{len(outside)} occurrences are not inside the resource's working hours"
            f" ({context['timezone']})",
            occurrence_starts=[msgspec.to_builtins(s) for s in outside],
        )


async def create_series(tx: Tx, body: SeriesCreate) -> SeriesOut:
    """All occurrences or none; see the module doc for the statements it costs."""
    start, end = utc(body.start), utc(body.end)
    check_period(start, end)
    rule = check_rule(body.recurrence, start)
    context = await bookings.lock_periods(tx, body.resource_id, [], [], project_id=body.project_id)
    check_target(context, project_id=body.project_id)
    check_period(start, end, context["max_booking_days"])
    rule, periods = expand(rule, start, end, context["timezone"])
    role = tx.ctx.role
    status = initial_status(body.status, approval_required=context["approval_required"], role=role)
    _check_working_hours(context, periods, role)
    starts, ends = [s for s, _ in periods], [e for _, e in periods]
    found = await queries.series_conflicts(
        tx, resource_id=body.resource_id, starts=starts, ends=ends
    )
    blocking.refuse(found, occurrences=True)
    budget = await bookings.lock_budget(tx, context, body.project_id)
    assert tx.ctx.user_id is not None
    series_id = uuid.uuid4()
    ids = [uuid.uuid4() for _ in periods]
    now = context["now"]
    planned = [
        msgspec.to_builtins(
            bookings.booking_out(
                {
                    "id": booking_id, "number": 0, "resource_id": body.resource_id,
                    "project_id": body.project_id, "requester_id": tx.ctx.user_id,
                    "title": body.title, "note": body.note, "start": s, "end": e,
                    "status": status, "version": 1, "created_at": now, "updated_at": now,
                    "escalated_at": None, "series_id": series_id,
                }
            )
        )
        for booking_id, (s, e) in zip(ids, periods, strict=True)
    ]  # fmt: skip
    rows = await queries.insert_series(
        tx,
        series_id=series_id,
        resource_id=body.resource_id,
        project_id=body.project_id,
        title=body.title,
        note=body.note,
        status=status,
        booking_ids=ids,
        starts=starts,
        ends=ends,
        budget_hours=budget,
        recurrence=msgspec.to_builtins(rule),
        planned=planned,
    )
    if not rows:
        assert body.project_id is not None and budget is not None
        hours = Decimal(total(periods).total_seconds()) / 3600
        raise await bookings.budget_exceeded(tx, body.project_id, budget, hours, None)
    tx.wrote_event()
    made = [bookings.booking_out(r) for r in rows]
    timers = TimerSettings.from_row(context)
    if timers.any:
        for booking in made:
            await schedule_timers(tx, None, booking, settings=timers)
    return SeriesOut(id=series_id, resource_id=body.resource_id, recurrence=rule, bookings=made)


async def get_series(tx: Tx, series_id: UUID) -> SeriesOut:
    row = await queries.get_series(tx, series_id)
    if row is None:
        raise errors.NotFound("No such series")
    made = [bookings.booking_out(r) for r in await queries.series_bookings(tx, series_id)]
    return SeriesOut(
        id=row["id"],
        resource_id=row["resource_id"],
        recurrence=msgspec.convert(row["recurrence"], RecurrenceOut),
        bookings=made,
    )


async def cancel_series(tx: Tx, series_id: UUID, body: SeriesCancel) -> SeriesOut:
    """Cancel each pending or confirmed occurrence from ``from`` on, with the rules and
    the event of cancelling it alone; all or none."""
    if await queries.get_series(tx, series_id) is None:
        raise errors.NotFound("No such series")
    since = utc(body.from_) if body.from_ is not None else datetime.now(UTC)
    for booking_id in await queries.bookings_to_cancel(tx, series_id, since):
        await transitions.act(tx, booking_id, "cancel", reason=body.reason)
    return await get_series(tx, series_id)
