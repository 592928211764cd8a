"""The assignment problem (``server.solver.problem``) solved with OR-Tools CP-SAT, against the
first-fit greedy. Pure: no database, no event loop; this module runs in the solver's worker
processes (``server.solver.pool``), which alone import OR-Tools.

The model: per (demand, candidate resource) a presence literal and a start variable whose
domain is the starts that keep the demand inside one free window (working time within the
demand's ``[from, to)`` minus what the blocking rules hold), and an optional fixed-size
interval on both; per resource one NoOverlap over those intervals and the held periods as
fixed intervals; per demand at most one presence; per budgeted project one linear
constraint on the seconds its demands take. Phase 1 maximizes the number assigned; phase 2
keeps that number and optimizes the objective from phase 1's solution, in the time left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import msgspec
from ortools.sat.python import cp_model

from server.solver.problem import (
    AssignmentProblem,
    Candidate,
    Reason,
    Solution,
    Span,
    Task,
    earliest_fit,
    greedy,
    reasons,
)

__all__ = [
    "AssignmentProblem",
    "Candidate",
    "Reason",
    "Solution",
    "Task",
    "compare",
    "compare_encoded",
    "earliest_fit",
    "greedy",
    "prune",
    "reasons",
    "solve",
]

PRESOLVE_UP_TO = 1500  # (demand, candidate) pairs


def _starts(windows: Sequence[Span], duration: int) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[lo, hi - duration] for lo, hi in windows])


def prune(
    problem: AssignmentProblem, keep: dict[int, tuple[int, int]]
) -> tuple[AssignmentProblem, bool]:
    """At most ``max_candidates`` candidates per demand: those whose free time starts
    earliest, always with the resource ``keep`` places it on (so the greedy's answer stays
    in the model). Also whether anything was cut."""
    limit = problem.max_candidates
    tasks = []
    cut = False
    for t, task in enumerate(problem.tasks):
        if len(task.candidates) <= limit:
            tasks.append(task)
            continue
        cut = True
        chosen = keep.get(t, (-1, 0))[0]
        ranked = sorted(
            task.candidates, key=lambda c: (c.resource != chosen, c.windows[0][0], c.resource)
        )
        kept = tuple(sorted(ranked[:limit], key=lambda c: c.resource))
        tasks.append(msgspec.structs.replace(task, candidates=kept))
    return msgspec.structs.replace(problem, tasks=tuple(tasks)), cut


class _Model:
    """The CP-SAT model of a problem: a presence literal, a start and an optional interval
    per (demand, candidate); NoOverlap per resource with the held periods fixed; at most
    one candidate per demand; one budget constraint per budgeted project."""

    def __init__(self, problem: AssignmentProblem) -> None:
        self.problem = problem
        self.model = model = cp_model.CpModel()
        self.present: dict[tuple[int, int], cp_model.IntVar] = {}
        self.starts: dict[tuple[int, int], cp_model.IntVar] = {}
        self.load: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        intervals: dict[int, list[cp_model.IntervalVar]] = {}
        spend: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        for t, task in enumerate(problem.tasks):
            literals = []
            for c, cand in enumerate(task.candidates):
                p = model.new_bool_var(f"p{t}_{c}")
                s = model.new_int_var_from_domain(_starts(cand.windows, task.duration), f"s{t}_{c}")
                interval = model.new_optional_fixed_size_interval_var(
                    s, task.duration, p, f"i{t}_{c}"
                )
                intervals.setdefault(cand.resource, []).append(interval)
                self.load.setdefault(cand.resource, []).append((task.duration, p))
                if task.project is not None:
                    spend.setdefault(task.project, []).append((task.duration, p))
                self.present[t, c], self.starts[t, c] = p, s
                literals.append(p)
            if len(literals) > 1:
                model.add_at_most_one(literals)
        for resource, optional in intervals.items():
            fixed = [
                model.new_fixed_size_interval_var(lo, hi - lo, f"b{resource}_{k}")
                for k, (lo, hi) in enumerate(problem.busy[resource])
            ]
            if len(optional) > 1 or fixed:
                model.add_no_overlap(optional + fixed)
        for project, terms in spend.items():
            model.add(_weighted(terms) <= max(problem.budgets[project], 0))
        self.assigned = cp_model.LinearExpr.sum(list(self.present.values()))
        self.peak: cp_model.IntVar | None = None

    def low(self, key: tuple[int, int]) -> int:
        t, c = key
        return self.problem.tasks[t].candidates[c].windows[0][0]

    def hint(self, placed: dict[int, tuple[int, int]]) -> None:
        """Start the search from a known feasible answer."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for (t, c), p in self.present.items():
            chosen = placed.get(t)
            here = chosen is not None and chosen[0] == self.problem.tasks[t].candidates[c].resource
            self.model.add_hint(p, here)
            start = chosen[1] if chosen is not None and here else self.low((t, c))
            self.model.add_hint(self.starts[t, c], start)
        if self.peak is not None:
            load = dict(enumerate(self.problem.load))
            for t, (resource, _) in placed.items():
                load[resource] += self.problem.tasks[t].duration
            involved = [load[r] for r in self.load]
            self.model.add_hint(self.peak, max(involved, default=0))

    def objective(self) -> None:
        problem, model = self.problem, self.model
        if problem.objective == "balanced":
            self.peak = peak = model.new_int_var(0, 10**12, "peak")
            for resource, terms in self.load.items():
                model.add(peak >= problem.load[resource] + _weighted(terms))
            model.minimize(peak)
            return
        # The sum of the assigned starts: (s - lo) + lo * p is the start when present, and
        # 0 when absent (an absent candidate's free start settles at its lowest value, lo).
        keys = list(self.starts)
        lows = [self.low(key) for key in keys]
        model.minimize(
            cp_model.LinearExpr.weighted_sum(
                [self.starts[k] for k in keys] + [self.present[k] for k in keys],
                [1] * len(keys) + lows,
            )
            - sum(lows)
        )

    def run(
        self, seconds: float, *, stall: float | None
    ) -> tuple[bool, dict[int, tuple[int, int]] | None]:
        """Solve for at most ``seconds`` (and, with ``stall``, no longer than that past
        the last better answer); (proven optimal, the answer or None)."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(seconds, 0.01)
        solver.parameters.num_workers = self.problem.workers
        solver.parameters.random_seed = 1
        # Presolve of a large model takes longer than the search it saves: skip it, so the
        # hinted answer is the first solution within milliseconds.
        solver.parameters.cp_model_presolve = len(self.present) <= PRESOLVE_UP_TO
        watch = _Stall(solver, stall)
        status = watch.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, None
        placed = {}
        for (t, c), p in self.present.items():
            if solver.boolean_value(p):
                resource = self.problem.tasks[t].candidates[c].resource
                placed[t] = (resource, int(solver.value(self.starts[t, c])))
        return status == cp_model.OPTIMAL, placed


def _weighted(terms: list[tuple[int, cp_model.IntVar]]) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([p for _, p in terms], [d for d, _ in terms])


def stall_seconds(time_limit: float) -> float:
    """How long phase 2 (the objective) may go without a better answer before it stops."""
    return max(0.3, time_limit / 10)


class _Stall(cp_model.CpSolverSolutionCallback):
    """Stops the search once no better solution came for ``stall`` seconds (counted from
    the first solution; before it, only the time limit applies)."""

    def __init__(self, solver: cp_model.CpSolver, stall: float | None) -> None:
        super().__init__()
        self.solver = solver
        self.stall = stall
        self.last: float | None = None
        self.done = threading.Event()

    def on_solution_callback(self) -> None:
        self.last = time.monotonic()

    def _guard(self) -> None:
        while not self.done.wait(0.05):
            if self.stall is None:
                return
            if self.last is not None and time.monotonic() - self.last > self.stall:
                self.solver.stop_search()
                return

    def solve(self, model: cp_model.CpModel) -> Any:
        guard = threading.Thread(target=self._guard, daemon=True)
        guard.start()
        try:
            return self.solver.solve(model, self)
        finally:
            self.done.set()
            guard.join()


def solve(problem: AssignmentProblem) -> Solution:
    """The largest set of demands that fit together, then the best of them by objective.

    Phase 1 maximizes the count from the greedy's answer until proven or out of time
    (skipped when the greedy already places every demand that has a candidate: nothing can
    place more); phase 2 keeps the count and optimizes the objective in the time left,
    stopping early when it stalls. Never fewer than the greedy.
    """
    began = time.monotonic()
    first = greedy(problem)
    bound = sum(1 for task in problem.tasks if task.candidates)
    if bound == 0:
        return Solution(seconds=_since(began))
    pruned, cut = prune(problem, first)
    m = _Model(pruned)
    best, proven = first, len(first) == bound
    if not proven:
        m.model.maximize(m.assigned)
        m.hint(first)
        optimal, found = m.run(problem.time_limit - _since(began), stall=None)
        if found is not None and len(found) > len(best):
            best = found
        proven = len(best) == bound or (optimal and not cut)
    left = problem.time_limit - _since(began)
    if left <= 0.05:
        return Solution(best, optimal=False, status="TIME_LIMIT", seconds=_since(began))
    if proven:
        m.model.add(m.assigned == len(best))
    else:
        m.model.add(m.assigned >= len(best))
    m.objective()
    m.hint(best)
    optimal, found = m.run(left, stall=stall_seconds(problem.time_limit))
    if found is not None and len(found) >= len(best):
        best = found
    else:
        optimal = False
    optimal = optimal and proven and not cut
    status = "OPTIMAL" if optimal else "FEASIBLE"
    return Solution(best, optimal=optimal, status=status, seconds=_since(began))


def _since(began: float) -> float:
    return time.monotonic() - began


def compare(problem: AssignmentProblem) -> tuple[Solution, int]:
    """CP-SAT's solution, and how many demands the first-fit greedy assigns."""
    return solve(problem), len(greedy(problem))


_PROBLEM = msgspec.msgpack.Decoder(AssignmentProblem)


def compare_encoded(problem: bytes) -> bytes:
    """``compare`` over MessagePack, for the worker process: a problem holds tens of
    thousands of candidates, which pickle would take most of a second to carry."""
    return msgspec.msgpack.encode(compare(_PROBLEM.decode(problem)))
