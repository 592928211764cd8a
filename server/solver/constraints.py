"""The scheduling rules, each defined once: what it says, how stored data is checked
against it (``python -m server verify``), and how the solver models it. ``GET
/v1/schedule/constraints`` lists the same registry, so a rule added to ``RULES`` reaches
all three.

A rule's ``check`` is a named query over one tenant's data, with parameters
``:tenant_id, :start, :end`` (``start``/``end`` may be null: unbounded) and returning
``subject_id`` and ``detail`` per violation; when SQL alone cannot decide (working hours
across DST), it returns candidate rows and ``violates`` keeps the real ones in Python.

A rule's ``model`` is one of four shapes the solver knows:

- ``Eligible``: which resources may take a demand at all (a predicate over a resource row).
- ``WorkingTime``: assignments lie inside one working interval of the resource.
- ``Blocked``: periods the resource is held, loaded by a named query ``(:tenant_id,
  :resource_ids, :start, :end) -> (resource_id, start, end)``; they become fixed
  intervals in the resource's NoOverlap (and are left out of the start domains).
- ``Budget``: seconds each budgeted project has left, loaded by a named query
  ``(:tenant_id, :project_ids) -> (project_id, seconds_left)``; one linear constraint each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.availability.hours import within_working_hours
from server.bookings.statuses import BLOCKING
from server.sql import QUERIES, Query

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Eligible:
    keep: Callable[[Row], bool]


@dataclass(frozen=True, slots=True)
class WorkingTime:
    pass


@dataclass(frozen=True, slots=True)
class Blocked:
    load: Query


@dataclass(frozen=True, slots=True)
class Budget:
    load: Query


Model = Eligible | WorkingTime | Blocked | Budget


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    description: str
    check: Query
    model: Model
    violates: Callable[[Row], bool] | None = None


def _outside_working_hours(row: Row) -> bool:
    return not within_working_hours(row["working_hours"], row["timezone"], row["start"], row["end"])


def _active(resource: Row) -> bool:
    return resource["deactivated_at"] is None


RULES: tuple[Rule, ...] = (
    Rule(
        name="no_overlap",
        description=f"No two blocking bookings ({', '.join(BLOCKING)}) of one resource overlap.",
        check=QUERIES["verify_no_overlap"],
        model=Blocked(QUERIES["solver_booked"]),
    ),
    Rule(
        name="project_budget",
        description=f"A project's booked hours (its blocking bookings: {', '.join(BLOCKING)})"
        " stay within its budget_hours.",
        check=QUERIES["verify_project_budget"],
        model=Budget(QUERIES["solver_budgets"]),
    ),
    Rule(
        name="working_hours",
        description="Bookings requested by members lie inside one working interval of the"
        " resource (its weekly template in its time zone); the solver places every"
        " assignment there.",
        check=QUERIES["verify_working_hours"],
        violates=_outside_working_hours,
        model=WorkingTime(),
    ),
    Rule(
        name="active_resource",
        description="No blocking booking is made on a resource after it was deactivated; the"
        " solver assigns only to active resources.",
        check=QUERIES["verify_active_resource"],
        model=Eligible(_active),
    ),
    Rule(
        name="time_off",
        description="No blocking booking overlaps time off of its resource.",
        check=QUERIES["verify_time_off"],
        model=Blocked(QUERIES["solver_time_off"]),
    ),
    Rule(
        name="holds",
        description="No blocking booking overlaps a live hold of its resource, and no two live"
        " holds of one resource overlap.",
        check=QUERIES["verify_holds"],
        model=Blocked(QUERIES["solver_holds"]),
    ),
)
