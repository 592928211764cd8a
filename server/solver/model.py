"""The assignment problem in whole seconds, solved with OR-Tools CP-SAT, and a first-fit
greedy to compare with. Pure: no database, no event loop; ``solve`` runs in a worker
process (``server.solver.pool``), so everything here pickles.

The model: per (demand, candidate resource) a presence literal and a start variable whose
domain is the starts that keep the demand inside one free window (working time within the
demand's ``[from, to)`` minus what the blocking rules hold), and an optional fixed-size
interval on both; per resource one NoOverlap over those intervals and the held periods as
fixed intervals; per demand at most one presence; per budgeted project one linear
constraint on the seconds its demands take. Phase 1 maximizes the number assigned; phase 2
keeps that number and optimizes the objective from phase 1's solution, in the time left.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

Span = tuple[int, int]
Objective = Literal["earliest", "balanced"]
Reason = Literal["no_candidate", "no_time", "budget", "capacity"]


@dataclass(frozen=True, slots=True)
class Candidate:
    resource: int
    # Free windows inside the demand's [from, to), each at least the duration long.
    windows: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Task:
    """A demand as the model sees it: seconds from the problem's origin."""

    duration: int
    eligible: int  # resources that pass every resource rule (skills, kind, ids, active)
    candidates: tuple[Candidate, ...]
    project: int | None = None  # index into ``Problem.budgets`` when its project has one


@dataclass(frozen=True, slots=True)
class Problem:
    tasks: tuple[Task, ...]
    busy: tuple[tuple[Span, ...], ...]  # per resource: held periods (fixed intervals)
    load: tuple[int, ...]  # per resource: seconds already booked in the horizon
    budgets: tuple[int, ...] = ()  # per budgeted project: seconds left
    objective: Objective = "earliest"
    time_limit: float = 5.0
    workers: int = 1


@dataclass(slots=True)
class Solution:
    placed: dict[int, tuple[int, int]] = field(default_factory=dict)  # task -> (resource, start)
    optimal: bool = True
    status: str = "OPTIMAL"
    seconds: float = 0.0


def _starts(windows: Sequence[Span], duration: int) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[lo, hi - duration] for lo, hi in windows])


def solve(problem: Problem) -> Solution:
    """The largest set of demands that fit together, then the best of them by objective."""
    began = time.monotonic()
    model = cp_model.CpModel()
    present: dict[tuple[int, int], cp_model.IntVar] = {}
    starts: dict[tuple[int, int], cp_model.IntVar] = {}
    per_resource: dict[int, list[cp_model.IntervalVar]] = {}
    per_project: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    per_load: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for t, task in enumerate(problem.tasks):
        literals = []
        for c, cand in enumerate(task.candidates):
            p = model.new_bool_var(f"p{t}_{c}")
            s = model.new_int_var_from_domain(_starts(cand.windows, task.duration), f"s{t}_{c}")
            interval = model.new_optional_fixed_size_interval_var(s, task.duration, p, f"i{t}_{c}")
            per_resource.setdefault(cand.resource, []).append(interval)
            per_load.setdefault(cand.resource, []).append((task.duration, p))
            if task.project is not None:
                per_project.setdefault(task.project, []).append((task.duration, p))
            present[t, c], starts[t, c] = p, s
            literals.append(p)
        if len(literals) > 1:
            model.add_at_most_one(literals)
    for resource, intervals in per_resource.items():
        fixed = [
            model.new_fixed_size_interval_var(lo, hi - lo, f"b{resource}_{k}")
            for k, (lo, hi) in enumerate(problem.busy[resource])
        ]
        if len(intervals) > 1 or fixed:
            model.add_no_overlap(intervals + fixed)
    for project, terms in per_project.items():
        model.add(sum(d * p for d, p in terms) <= max(problem.budgets[project], 0))
    if not present:
        return Solution(seconds=time.monotonic() - began)

    assigned = sum(present.values())
    model.maximize(assigned)
    solver = _solver(problem, problem.time_limit)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(optimal=False, status=solver.status_name(status), seconds=_since(began))
    best = _placed(solver, problem, present, starts)
    optimal = status == cp_model.OPTIMAL
    left = problem.time_limit - _since(began)
    if left <= 0.05:
        return Solution(best, optimal=False, status="FEASIBLE", seconds=_since(began))

    # Phase 2: keep the count (exactly, once proven; else at least what was found), hinted
    # with phase 1's answer, and optimize the objective.
    count = len(best)
    if optimal:
        model.add(assigned == count)
    else:
        model.add(assigned >= count)
    for key, p in present.items():
        model.add_hint(p, solver.boolean_value(p))
        model.add_hint(starts[key], solver.value(starts[key]))
    if problem.objective == "balanced":
        peak = model.new_int_var(0, 10**12, "peak")
        for resource, terms in per_load.items():
            model.add(peak >= problem.load[resource] + sum(d * p for d, p in terms))
        model.minimize(peak)
    else:
        # Absent candidates' starts are free and settle at their lowest value, so this
        # sum orders solutions exactly as the sum of the assigned starts does.
        model.minimize(sum(starts.values()))
    second = _solver(problem, left)
    status2 = second.solve(model)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        placed = _placed(second, problem, present, starts)
        if len(placed) >= count:
            best = placed
            optimal = optimal and status2 == cp_model.OPTIMAL
            return Solution(best, optimal=optimal, status=second.status_name(status2),
                            seconds=_since(began))  # fmt: skip
    return Solution(best, optimal=False, status="FEASIBLE", seconds=_since(began))


def _solver(problem: Problem, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = problem.workers
    solver.parameters.random_seed = 1
    return solver


def _since(began: float) -> float:
    return time.monotonic() - began


def _placed(
    solver: cp_model.CpSolver,
    problem: Problem,
    present: dict[tuple[int, int], cp_model.IntVar],
    starts: dict[tuple[int, int], cp_model.IntVar],
) -> dict[int, tuple[int, int]]:
    placed: dict[int, tuple[int, int]] = {}
    for (t, c), p in present.items():
        if solver.boolean_value(p):
            placed[t] = (problem.tasks[t].candidates[c].resource, int(solver.value(starts[t, c])))
    return placed


def greedy(problem: Problem) -> dict[int, tuple[int, int]]:
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


def reasons(problem: Problem, placed: dict[int, tuple[int, int]]) -> dict[int, Reason]:
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


def compare(problem: Problem) -> tuple[Solution, int]:
    """CP-SAT's solution, and how many demands the first-fit greedy assigns."""
    return solve(problem), len(greedy(problem))
