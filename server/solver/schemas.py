from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from server.bookings.schemas import BookingOut, Title
from server.schemas import AwareDatetime, Out, Schema

MAX_DEMANDS = 500
Ref = Annotated[str, Meta(min_length=1, max_length=100)]
Skill = Annotated[str, Meta(min_length=1, max_length=100)]
Reason = Literal["no_candidate", "no_time", "budget", "capacity"]


class Demand(Schema):
    ref: Annotated[Ref, Meta(description="The caller's name for the demand, unique in the request")]
    duration: Annotated[str, Meta(description="ISO 8601 duration, e.g. PT1H30M")]
    from_: Annotated[AwareDatetime, Meta(description="Earliest start, RFC 3339 with an offset")] = (
        msgspec.field(name="from")
    )
    to: Annotated[AwareDatetime, Meta(description="Latest end (exclusive)")]
    skills: Annotated[list[Skill], Meta(max_length=50)] = msgspec.field(default_factory=list)
    kind: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    resource_ids: Annotated[list[UUID], Meta(max_length=500)] | None = None
    project_id: UUID | None = None
    title: Title = ""


class SolveIn(Schema):
    demands: Annotated[list[Demand], Meta(min_length=1, max_length=MAX_DEMANDS)]
    objective: Literal["earliest", "balanced"] = "earliest"
    commit: bool = False


class Assignment(Out):
    ref: str
    resource_id: UUID
    start: datetime
    end: datetime


class Unassigned(Out):
    ref: str
    reason: Reason


class SolveStats(Out):
    """How the answer was found: CP-SAT's status, wall time of the solve (both phases), and
    how many demands a first-fit greedy assigns on the same instance, for comparison."""

    status: str
    solve_seconds: float
    greedy_assigned: int


class SolveOut(Out):
    assignments: list[Assignment]
    unassigned: list[Unassigned]
    bookings: list[BookingOut]
    optimal: Annotated[
        bool,
        Meta(
            description="True when CP-SAT proved both the count and the objective optimal; false"
            " when the time limit (BOOKING_SOLVER_TIME_LIMIT) stopped it with the best found"
        ),
    ]
    stats: SolveStats


class ConstraintOut(Out):
    name: str
    description: str
