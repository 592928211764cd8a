"""The assignment problem in whole seconds, as the solver's worker processes receive it, and
what needs no solver library: the first-fit greedy and why a demand was left out. Imported
by the server; OR-Tools is imported only by ``server.solver.model``, which runs in the
solver's worker processes (``server.solver.pool``) — so a serve process does not carry
OR-Tools, NumPy and pandas (~85 MiB) for a solve it hands over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

Span = tuple[int, int]
Objective = Literal["earliest", "balanced"]
Reason = Literal["no_candidate", "no_time", "budget", "capacity"]


class Candidate(msgspec.Struct, frozen=True, array_like=True, gc=False):
    resource: int
    # Free windows inside the demand's [from, to), each at least the duration long.
    windows: tuple[Span, ...]


class Task(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A demand as the model sees it: seconds from the problem's origin."""

    duration: int
    eligible: int  # resources that pass every resource rule (skills, kind, ids, active)
    candidates: tuple[Candidate, ...]
    project: int | None = None  # index into ``AssignmentProblem.budgets`` when its project has one


class AssignmentProblem(msgspec.Struct, frozen=True):
    tasks: tuple[Task, ...]
    busy: tuple[tuple[Span, ...], ...]  # per resource: held periods (fixed intervals)
    load: tuple[int, ...]  # per resource: seconds already booked in the horizon
    budgets: tuple[int, ...] = ()  # per budgeted project: seconds left
    objective: Objective = "earliest"
    time_limit: float = 5.0
    workers: int = 1
    max_candidates: int = 8  # per demand in the CP-SAT model (the greedy sees them all)


class Solution(msgspec.Struct):
    placed: dict[int, tuple[int, int]] = msgspec.field(
        default_factory=dict
    )  # task -> (resource, start)
    optimal: bool = True
    status: str = "OPTIMAL"
    seconds: float = 0.0


def greedy(problem: AssignmentProblem) -> dict[int, tuple[int, int]]:
    """First fit: demands in the given order, each on its first candidate (in resource
    order) with room, at the earliest start there; never revisits a choice."""
    taken: dict[int, list[Span]] = {}
    spent = [0] * len(problem.budgets)
    placed: dict[int, tuple[int, int]] = {}
    for t, task in enumerate(problem.tasks):
        if task.project is not None and spent[task.project] + task.duration > max(
            problem.budgets[task.project], 0
        ):
            continue
        for cand in task.candidates:
            start = earliest_fit(cand.windows, taken.get(cand.resource, []), task.duration)
            if start is None:
                continue
            placed[t] = (cand.resource, start)
            taken.setdefault(cand.resource, []).append((start, start + task.duration))
            if task.project is not None:
                spent[task.project] += task.duration
            break
    return placed


def earliest_fit(windows: Sequence[Span], taken: Sequence[Span], duration: int) -> int | None:
    """The earliest start of ``duration`` inside a window, clear of every taken span."""
    ordered = sorted(taken)
    for lo, hi in windows:
        start = lo
        for b_lo, b_hi in ordered:
            if b_hi <= start or b_lo >= hi:
                continue
            if b_lo >= start + duration:
                break
            start = b_hi
        if start + duration <= hi:
            return start
    return None


def reasons(problem: AssignmentProblem, placed: dict[int, tuple[int, int]]) -> dict[int, Reason]:
    """Why each demand left out is: no resource fits it, no candidate has a free window
    long enough, its project's budget (what is left after the placed demands) is too
    small, or else the time it could use went to the other demands."""
    spent = [0] * len(problem.budgets)
    for t in placed:
        project = problem.tasks[t].project
        if project is not None:
            spent[project] += problem.tasks[t].duration
    why: dict[int, Reason] = {}
    for t, task in enumerate(problem.tasks):
        if t in placed:
            continue
        if task.eligible == 0:
            why[t] = "no_candidate"
        elif not task.candidates:
            why[t] = "no_time"
        elif task.project is not None and spent[task.project] + task.duration > max(
            problem.budgets[task.project], 0
        ):
            why[t] = "budget"
        else:
            why[t] = "capacity"
    return why
