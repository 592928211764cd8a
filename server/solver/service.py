"""Assign demands to resources: validate, load the instance, read the solution back, and
(``commit: true``) write every assignment as a confirmed booking in one transaction.

The write is ``write_bookings``: under the resources' advisory locks and the budgeted
projects' row locks it re-checks every rule of the registry against what is committed now,
then inserts all bookings in one statement (numbers and seqs from one update of the
tenant's counter row, an audit entry and an event each); the exclusion constraint stays
the guard. Any conflict raises before anything is written, and the transaction rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import msgspec

from server import errors
from server.availability.hours import within_working_hours
from server.bookings.rules import utc
from server.bookings.service import booking_out
from server.db import Tx
from server.events.service import diff
from server.schemas import check_calendar_time
from server.solver import constraints, queries
from server.solver import instance as inst
from server.solver.constraints import WorkingTime
from server.solver.problem import Objective, Solution, reasons
from server.solver.schemas import (
    Assignment,
    ConstraintOut,
    SolveIn,
    SolveOut,
    SolveStats,
    Unassigned,
)
from server.workflow.durations import DurationError, parse_duration
from server.workflow.timers import TimerSettings, schedule_timers

MAX_WINDOW = timedelta(days=93)


def list_constraints() -> list[ConstraintOut]:
    return [
        ConstraintOut(name=rule.name, description=rule.description) for rule in constraints.RULES
    ]


def validate(body: SolveIn) -> list[inst.Want]:
    """The demands in UTC; 422 listing every bad field (``demands.3.duration``)."""
    problems: list[dict[str, str]] = []
    wants: list[inst.Want] = []
    seen: set[str] = set()
    for i, d in enumerate(body.demands):
        field = f"demands.{i}."
        if d.ref in seen:
            problems.append({"field": field + "ref", "message": "duplicate ref"})
        seen.add(d.ref)
        duration = timedelta(0)
        try:
            duration = parse_duration(d.duration)
        except DurationError as exc:
            problems.append({"field": field + "duration", "message": str(exc)})
        for name, value in (("from", d.from_), ("to", d.to)):
            try:
                check_calendar_time(value, field + name)
            except errors.ValidationFailed as exc:
                problems += exc.extras["errors"]
        if d.to <= d.from_:
            problems.append({"field": field + "to", "message": "must be after `from`"})
        wants.append(
            inst.Want(
                ref=d.ref,
                duration=duration,
                start=utc(d.from_),
                end=utc(d.to),
                skills=frozenset(d.skills),
                kind=d.kind,
                resource_ids=None if d.resource_ids is None else frozenset(d.resource_ids),
                project_id=d.project_id,
                title=d.title,
            )
        )
    if problems:
        raise errors.ValidationFailed(problems)
    span = max(w.end for w in wants) - min(w.start for w in wants)
    if span > MAX_WINDOW:
        raise errors.InvalidPeriod(f"The demands may span at most {MAX_WINDOW.days} days")
    return wants


def check_lengths(wants: Sequence[inst.Want], max_days: int) -> None:
    longest = timedelta(days=max_days)
    too_long = [
        {"field": f"demands.{i}.duration", "message": f"a booking may last at most {max_days} days"}
        for i, w in enumerate(wants)
        if w.duration > longest
    ]
    if too_long:
        raise errors.ValidationFailed(too_long)


async def prepare(
    tx: Tx, wants: list[inst.Want], *, objective: Objective, time_limit: float, workers: int
) -> inst.Instance:
    settings = await queries.settings(tx)
    check_lengths(wants, settings["max_booking_days"])
    return await inst.load(tx, wants, objective=objective, time_limit=time_limit, workers=workers)


def answer(instance: inst.Instance, solution: Solution, greedy_assigned: int) -> SolveOut:
    """The solution in the request's terms, demands in request order."""
    why = reasons(instance.problem, solution.placed)
    assignments: list[Assignment] = []
    unassigned: list[Unassigned] = []
    for t, want in enumerate(instance.wants):
        if t in solution.placed:
            resource, offset = solution.placed[t]
            start = instance.at(offset)
            assignments.append(
                Assignment(
                    ref=want.ref,
                    resource_id=instance.resources[resource]["id"],
                    start=start,
                    end=start + want.duration,
                )
            )
        else:
            unassigned.append(Unassigned(ref=want.ref, reason=why[t]))
    return SolveOut(
        assignments=assignments,
        unassigned=unassigned,
        bookings=[],
        optimal=solution.optimal,
        stats=SolveStats(
            status=solution.status,
            solve_seconds=round(solution.seconds, 4),
            greedy_assigned=greedy_assigned,
        ),
    )


async def recheck(tx: Tx, instance: inst.Instance, assignments: Sequence[Assignment]) -> None:
    """Every rule against what is committed now (call under the locks): 409
    ``booking_conflict`` naming the refs that no longer fit, and what they clash with."""
    rules = instance.rules
    by_id = {row["id"]: row for row in await queries.solver_resources(tx)}
    wants = {w.ref: w for w in instance.wants}
    failed: list[str] = []
    conflicts: list[dict[str, object]] = []
    start = min(a.start for a in assignments)
    end = max(a.end for a in assignments)
    resource_ids = sorted({a.resource_id for a in assignments})
    held = await inst.held_by_rules(tx, rules, resource_ids, start, end)
    hours = any(isinstance(rule.model, WorkingTime) for rule in rules)
    spent: dict[UUID, float] = {}
    for a in assignments:
        row = by_id.get(a.resource_id)
        clashes = [
            h for h in held.get(a.resource_id, []) if h["start"] < a.end and a.start < h["end"]
        ]
        outside = (
            row is not None
            and hours
            and not within_working_hours(row["working_hours"], row["timezone"], a.start, a.end)
        )
        if row is None or not inst.eligible(rules, row) or outside or clashes:
            failed.append(a.ref)
        conflicts += [
            {"id": h["id"], "number": h["number"], "start": utc(h["start"]),
             "end": utc(h["end"]), "status": h["status"]}
            for h in clashes
        ]  # fmt: skip
        project = wants[a.ref].project_id
        if project is not None:
            spent[project] = spent.get(project, 0.0) + (a.end - a.start).total_seconds()
    left = await inst.budgets_by_rules(tx, rules, sorted(spent))
    failed += [
        a.ref
        for a in assignments
        if (p := wants[a.ref].project_id) in left and spent[p] > float(left[p])
    ]
    if failed:
        raise errors.BookingConflict(
            "Bookings made meanwhile leave no room for some assignments; nothing was written",
            conflicts=msgspec.to_builtins(conflicts),
            refs=list(dict.fromkeys(failed)),
        )


async def write_bookings(tx: Tx, instance: inst.Instance, out: SolveOut) -> SolveOut:
    """Every assignment as a confirmed booking, in this one transaction, or none (see the
    module doc). The write path's bulk create: re-point here when it changes."""
    if not out.assignments:
        return out
    await queries.lock(
        tx,
        resource_ids=sorted({a.resource_id for a in out.assignments}, key=str),
        project_ids=sorted(
            {w.project_id for w in instance.wants if w.project_id is not None}, key=str
        ),
    )
    await recheck(tx, instance, out.assignments)
    settings = await queries.settings(tx)
    wants = {w.ref: w for w in instance.wants}
    assert tx.ctx.user_id is not None
    items = []
    for a in out.assignments:
        want = wants[a.ref]
        booking_id = uuid.uuid4()
        planned = msgspec.to_builtins(
            booking_out(
                {
                    "id": booking_id, "number": 0, "resource_id": a.resource_id,
                    "project_id": want.project_id, "requester_id": tx.ctx.user_id,
                    "title": want.title, "note": "", "start": a.start, "end": a.end,
                    "status": "confirmed", "version": 1, "created_at": settings["now"],
                    "updated_at": settings["now"], "escalated_at": None,
                }
            )
        )  # fmt: skip
        items.append(
            {
                "id": str(booking_id),
                "resource_id": str(a.resource_id),
                "project_id": None if want.project_id is None else str(want.project_id),
                "title": want.title,
                "start": planned["start"],
                "end": planned["end"],
                "after": planned,
                "diff": diff(None, planned),
            }
        )
    rows = await queries.insert_bookings(tx, items)
    tx.wrote_event()  # the relay is woken after commit
    bookings = [booking_out(row) for row in rows]
    timers = TimerSettings.from_row(settings)
    for booking in bookings:
        await schedule_timers(tx, None, booking, settings=timers)
    return msgspec.structs.replace(out, bookings=bookings)
