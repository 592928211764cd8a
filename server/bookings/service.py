"""Bookings: create, edit and read (status transitions are in ``transitions``).

A create is one statement, ``create_booking`` (``app_create_booking``, migration 0005),
sent alone so that it is its own transaction: role and tenant, the resource's advisory
lock and overlap pre-check, the context stamp, the project's row and budget when it has
one, then the tenant's counter row (number and seq), the INSERT, audit and event. The
rules that need the resource, project and settings (``judge``) run before it, in Python,
on a context this process keeps (``Tx.memo``) with its stamp; the statement refuses to
write when the stamp no longer matches and answers the current context instead ("stale"),
and the create judges again. A process learns a tenant's contexts in one statement at its
first create there. Workflow clocks make it a transaction (BEGIN, create, timers, COMMIT);
``Idempotency-Key`` adds its expire, claim and store. Edits keep ``booking_context``,
``lock_booking_project`` and ``update_booking`` in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from server import errors
from server.bookings import blocking, queries
from server.bookings.rules import (
    EDITABLE,
    check_period,
    check_target,
    check_within_working_hours,
    initial_status,
    is_manager,
    utc,
)
from server.bookings.schemas import (
    BookingCreate,
    BookingOut,
    BookingPage,
    BookingQuery,
    BookingUpdate,
    ConflictOut,
)
from server.db import Tx
from server.events.service import diff, record
from server.pagination import decode_key, page
from server.workflow.timers import TimerSettings, schedule_timers

# Judging on a kept context that turns out changed costs one more statement; this bounds
# how often a create tries again while an admin keeps changing its resource or settings.
CONTEXT_TRIES = 3
# A process learns the contexts of up to this many of a tenant's resources at its first
# create there without a project (one statement), not one resource at a time.
CONTEXTS_AT_ONCE = 1000


def booking_out(row: Mapping[str, Any]) -> BookingOut:
    return BookingOut(
        id=row["id"],
        number=row["number"],
        resource_id=row["resource_id"],
        project_id=row["project_id"],
        requester_id=row["requester_id"],
        title=row["title"],
        note=row["note"],
        start=utc(row["start"]),
        end=utc(row["end"]),
        status=row["status"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        escalated_at=row["escalated_at"],
        status_reason=row.get("status_reason"),
        series_id=row.get("series_id"),
    )


def _conflict(row: Mapping[str, Any]) -> ConflictOut:
    return ConflictOut(
        id=row["id"], number=row["number"], start=row["start"], end=row["end"],
        status=row["status"],
    )  # fmt: skip


def _conflict_bodies(found: list[ConflictOut]) -> list[Any]:
    return [
        msgspec.to_builtins(msgspec.structs.replace(c, start=utc(c.start), end=utc(c.end)))
        for c in found
    ]


async def check_free(
    tx: Tx,
    context: Mapping[str, Any],
    *,
    project_id: UUID | None,
    budget: Decimal | None,
    start: datetime,
    end: datetime,
    excluding: UUID | None,
) -> None:
    """409 with what ``booking_context`` found blocking under the resource's lock
    (bookings and live holds: ``booking_conflict``; else time off: ``resource_unavailable``):
    the loser of a race is answered without an INSERT or a second transaction. A refused
    budget still wins over a conflict, as when the write statement decided both."""
    found = context["conflicts"]
    if not found:
        return
    if project_id is not None and budget is not None:
        booked = await queries.project_booked_seconds(tx, project_id, excluding=excluding)
        if booked + Decimal((end - start).total_seconds()) > budget * 3600:
            raise _budget_error(budget, booked / 3600, _hours(start, end))
    blocking.refuse(found)


def on_conflict(
    tx: Tx,
    err: errors.AppError,
    *,
    resource_id: UUID,
    start: datetime,
    end: datetime,
    excluding: Any,
) -> None:
    """Fill ``conflicts`` in a fresh transaction once ``tx`` has rolled back (the
    exclusion constraint refused a booking the pre-check let through)."""

    async def reread(fresh: Tx) -> None:
        rows = await queries.booking_conflicts(
            fresh, resource_id=resource_id, start=start, end=end, excluding=excluding
        )
        err.extras["conflicts"] = _conflict_bodies([_conflict(r) for r in rows])

    tx.after_rollback.append(reread)


async def budget_exceeded(
    tx: Tx, project_id: UUID, budget: Decimal, hours: Decimal, excluding: UUID | None
) -> errors.BudgetExceeded:
    booked = await queries.project_booked_seconds(tx, project_id, excluding=excluding) / 3600
    return _budget_error(budget, booked, hours)


def _budget_error(budget: Decimal, booked: Decimal, hours: Decimal) -> errors.BudgetExceeded:
    return errors.BudgetExceeded(
        f"The project has {max(budget - booked, Decimal(0)):.2f} of {budget:.2f} hours left;"
        f" this booking needs {hours:.2f}",
        budget_hours=float(budget),
        booked_hours=round(float(booked), 6),
        requested_hours=round(float(hours), 6),
    )


def _hours(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / 3600


def _context_key(tenant_id: UUID, resource_id: UUID, project_id: UUID | None) -> tuple[Any, ...]:
    return ("booking-context", tenant_id, resource_id, project_id)


def judge(
    tx: Tx, body: BookingCreate, context: Mapping[str, Any], start: datetime, end: datetime
) -> str:
    """The create's rules on a context (resource, project, settings); its status."""
    check_target(context, project_id=body.project_id)
    check_period(start, end, context["max_booking_days"])
    role = tx.ctx.role
    status = initial_status(body.status, approval_required=context["approval_required"], role=role)
    check_within_working_hours(context, start, end, role=role)
    return status  # fmt: skip


def _planned(
    tx: Tx, booking_id: UUID, body: BookingCreate, start: datetime, end: datetime, status: str
) -> dict[str, Any]:
    """The booking's JSON as the row will read but for number, created_at and updated_at,
    which the statement fills in."""
    assert tx.ctx.user_id is not None
    plain = msgspec.to_builtins(
        booking_out(
            {
                "id": booking_id,
                "number": 0,
                "resource_id": body.resource_id,
                "project_id": body.project_id,
                "requester_id": tx.ctx.user_id,
                "title": body.title,
                "note": body.note,
                "start": start,
                "end": end,
                "status": status,
                "version": 1,
                "created_at": start,
                "updated_at": start,
                "escalated_at": None,
                "status_reason": None,
                "series_id": None,
            }
        )
    )
    assert isinstance(plain, dict)
    return plain  # fmt: skip


async def create_booking(tx: Tx, body: BookingCreate) -> BookingOut:
    """Create a booking for the caller: one statement, see the module doc."""
    start, end = utc(body.start), utc(body.end)
    check_period(start, end)
    assert tx.ctx.user_id is not None
    key = _context_key(tx.tenant_id, body.resource_id, body.project_id)
    context: Mapping[str, Any] | None = tx.memo.get(key)
    fresh = False
    if context is None and body.project_id is None:
        rows = await queries.booking_contexts(tx, limit=CONTEXTS_AT_ONCE)
        for row in rows:
            tx.memo.put(_context_key(tx.tenant_id, row["resource_id"], None), dict(row))
        context, fresh = tx.memo.get(key), True
    booking_id = uuid.uuid4()
    for _ in range(CONTEXT_TRIES):
        status = "pending"
        if context is not None:
            try:
                status = judge(tx, body, context, start, end)
            except errors.AppError:
                if fresh:
                    raise
                context = None  # refused on what this process kept: ask the database
            else:
                if TimerSettings.from_row(context).any:
                    await tx.begin()  # the timers commit with the booking
        planned = _planned(tx, booking_id, body, start, end, status)
        try:
            row = await queries.create_booking(
                tx,
                stamp=context["stamp"] if context is not None else None,
                booking_id=booking_id,
                resource_id=body.resource_id,
                requester_id=tx.ctx.user_id,
                project_id=body.project_id,
                title=body.title,
                note=body.note,
                start=start,
                end=end,
                status=status,
                after=planned,
                diff=diff(None, planned),
            )
        except errors.BookingConflict as err:
            on_conflict(tx, err, resource_id=body.resource_id, start=start, end=end, excluding=None)
            raise
        if row["outcome"] != "stale":
            break
        # The context changed (or was not known): judge again on the one just read.
        tx.reopen()
        context, fresh = dict(row), True
        tx.memo.put(key, context)
    else:
        raise errors.Retryable("the booking's resource, project or settings kept changing")
    outcome = row["outcome"]
    if outcome == "budget":  # decided before the conflict, as the statement wins it
        booked = Decimal(row["booked_seconds"]) / 3600
        raise _budget_error(row["budget_hours"], booked, _hours(start, end))
    if outcome == "conflict":
        blocking.refuse(row["conflicts"])
    assert outcome == "created", outcome
    tx.wrote_event()
    # app_create_booking (migration 0005) returns no status_reason or series_id: a new
    # booking made alone has neither.
    after = booking_out({**dict(row), "status_reason": None, "series_id": None})
    assert context is not None
    await schedule_timers(tx, None, after, settings=TimerSettings.from_row(context))
    return after


async def lock_budget(
    tx: Tx, context: Mapping[str, Any], project_id: UUID | None
) -> Decimal | None:
    """Lock the project's row when it has a budget (concurrent budget checks queue on it);
    its budget in hours, or None."""
    if project_id is None or context["budget_hours"] is None:
        return None
    return await queries.lock_booking_project(tx, project_id)


async def lock_periods(
    tx: Tx,
    resource_id: UUID,
    starts: list[datetime],
    ends: list[datetime],
    *,
    project_id: UUID | None = None,
) -> Mapping[str, Any]:
    """Take the resource's lock and read what blocks the periods (see ``blocking``), with
    the resource, the project and the tenant's settings: what holds, time off and series
    check before they write."""
    context = await queries.periods_context(
        tx, resource_id=resource_id, project_id=project_id, starts=starts, ends=ends
    )
    assert context is not None, "every tenant has workflow settings"
    return dict(context)


async def get_booking(tx: Tx, booking_id: UUID) -> BookingOut:
    row = await queries.get_booking(tx, booking_id)
    if row is None:
        raise errors.NotFound("No such booking")
    return booking_out(row)


async def list_bookings(tx: Tx, query: BookingQuery) -> BookingPage:
    start = utc(query.from_) if query.from_ is not None else None
    end = utc(query.to) if query.to is not None else None
    if start is not None and end is not None and end <= start:
        raise errors.ValidationFailed.field("to", "must be after `from`")
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_bookings(
        tx,
        resource_id=query.resource_id,
        project_id=query.project_id,
        requester_id=query.requester_id,
        statuses=list(query.status) or None,
        start=start,
        end=end,
        after=after,
        limit=query.limit + 1,
    )
    items, cursor = page([booking_out(r) for r in rows], query.limit, key=lambda b: [b.start, b.id])
    return BookingPage(items=items, next_cursor=cursor)


async def lock_booking(tx: Tx, booking_id: UUID) -> tuple[BookingOut, TimerSettings]:
    row = await queries.lock_booking(tx, booking_id)
    if row is None:
        raise errors.NotFound("No such booking")
    return booking_out(row), TimerSettings.from_row(row)


def check_owner(tx: Tx, booking: BookingOut) -> None:
    if not is_manager(tx.ctx.role) and booking.requester_id != tx.ctx.user_id:
        raise errors.Forbidden("Members may change only their own bookings")


async def update_booking(
    tx: Tx, booking_id: UUID, body: BookingUpdate, *, if_match: int | None = None
) -> BookingOut:
    """Edit or reschedule a pending or confirmed booking (``booking.updated``).

    When a member moves a confirmed booking where approval is required, it goes back to
    pending: the approval was for the old time.
    """
    before, timers = await lock_booking(tx, booking_id)
    check_owner(tx, before)
    if if_match is not None and if_match != before.version:
        raise errors.PreconditionFailed(
            f"The booking is at version {before.version}", version=before.version
        )
    if before.status not in EDITABLE:
        raise errors.InvalidTransition(f"A {before.status} booking cannot be edited")
    start = before.start if body.start is msgspec.UNSET else utc(body.start)
    end = before.end if body.end is msgspec.UNSET else utc(body.end)
    check_period(start, end)
    resource_id = before.resource_id if body.resource_id is msgspec.UNSET else body.resource_id
    project_id = before.project_id if body.project_id is msgspec.UNSET else body.project_id
    moved = resource_id != before.resource_id or (start, end) != (before.start, before.end)
    context = await queries.booking_context(
        tx,
        resource_id=resource_id,
        project_id=project_id,
        start=start if moved else None,
        end=end,
        excluding=booking_id,
    )
    assert context is not None
    project_changed = project_id != before.project_id
    check_target(
        context,
        project_id=project_id,
        resource_changed=moved,
        project_changed=project_changed,
    )
    status = before.status
    if moved:
        check_period(start, end, context["max_booking_days"])
        check_within_working_hours(context, start, end, role=tx.ctx.role)
        needs_approval = context["approval_required"] and not is_manager(tx.ctx.role)
        if needs_approval and status == "confirmed":
            status = "pending"
    budget: Decimal | None = None
    longer = end - start > before.end - before.start
    if project_id is not None and context["budget_hours"] is not None:
        if project_changed or longer:
            budget = await queries.lock_booking_project(tx, project_id)
    await check_free(
        tx, context, project_id=project_id, budget=budget, start=start, end=end,
        excluding=booking_id,
    )  # fmt: skip
    try:
        row = await queries.update_booking(
            tx,
            booking_id,
            resource_id=resource_id,
            status=status,
            project_id=project_id,
            title=before.title if body.title is msgspec.UNSET else body.title,
            note=before.note if body.note is msgspec.UNSET else body.note,
            start=start,
            end=end,
            expected_version=before.version,
            expected_status=before.status,
            budget_hours=budget,
        )
    except errors.BookingConflict as err:
        on_conflict(tx, err, resource_id=resource_id, start=start, end=end, excluding=booking_id)
        raise
    if row is None:
        if project_id is not None and budget is not None:
            raise await budget_exceeded(tx, project_id, budget, _hours(start, end), booking_id)
        raise errors.Retryable("booking changed under its lock")
    after = booking_out(row)
    await schedule_timers(tx, before, after, settings=timers)
    await record(
        tx, type="booking.updated", entity_type="booking", entity_id=after.id, before=before,
        after=after,
    )  # fmt: skip
    return after
