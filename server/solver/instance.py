"""From a request and the tenant's stored data to the solver's ``AssignmentProblem``: each rule of
the registry contributes through its model shape (see ``constraints``)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from server import errors
from server.availability.hours import Interval, merge, subtract, working_intervals
from server.bookings.rules import ProjectInactive
from server.db import Tx
from server.solver import constraints, queries
from server.solver.constraints import Blocked, Budget, Eligible, Rule, WorkingTime
from server.solver.problem import AssignmentProblem, Candidate, Objective, Task

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Want:
    """A validated demand in UTC."""

    ref: str
    duration: timedelta
    start: datetime
    end: datetime
    skills: frozenset[str]
    kind: str | None
    resource_ids: frozenset[UUID] | None
    project_id: UUID | None
    title: str


@dataclass(slots=True)
class Instance:
    wants: list[Want]
    rules: tuple[Rule, ...]
    problem: AssignmentProblem
    origin: datetime
    resources: list[Row]  # the model's resource index -> row

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)


def matches(want: Want, resource: Row) -> bool:
    return (
        want.skills <= set(resource["skills"])
        and (want.kind is None or resource["kind"] == want.kind)
        and (want.resource_ids is None or resource["id"] in want.resource_ids)
    )


async def check_references(tx: Tx, wants: Sequence[Want], resources: Sequence[Row]) -> None:
    """404 for a resource or project id the tenant does not have; 422 for an inactive project."""
    known = {r["id"] for r in resources}
    for i, want in enumerate(wants):
        if want.resource_ids is not None and not want.resource_ids <= known:
            raise errors.NotFound(f"resource not found (demands.{i}.resource_ids)")
    wanted = sorted({w.project_id for w in wants if w.project_id is not None})
    found = {row["id"]: row for row in await queries.projects(tx, wanted)}
    for i, want in enumerate(wants):
        if want.project_id is None:
            continue
        if want.project_id not in found:
            raise errors.NotFound(f"project not found (demands.{i}.project_id)")
        if found[want.project_id]["deactivated_at"] is not None:
            raise ProjectInactive(f"demands.{i}.project_id: the project is deactivated")


async def held_by_rules(
    tx: Tx, rules: Sequence[Rule], resource_ids: list[UUID], start: datetime, end: datetime
) -> dict[UUID, list[Row]]:
    """Every Blocked rule's periods of the resources in [start, end), per resource."""
    held: dict[UUID, list[Row]] = {}
    for rule in rules:
        if isinstance(rule.model, Blocked) and resource_ids:
            for row in await queries.held_periods(
                tx, rule.model.load, resource_ids=resource_ids, start=start, end=end
            ):
                held.setdefault(row["resource_id"], []).append(row)
    return held


async def budgets_by_rules(
    tx: Tx, rules: Sequence[Rule], project_ids: list[UUID]
) -> dict[UUID, Decimal]:
    """Seconds left per budgeted project (the smallest any Budget rule allows)."""
    left: dict[UUID, Decimal] = {}
    for rule in rules:
        if isinstance(rule.model, Budget) and project_ids:
            for row in await queries.budgets_left(tx, rule.model.load, project_ids):
                value = Decimal(row["seconds_left"])
                left[row["project_id"]] = min(left.get(row["project_id"], value), value)
    return left


def eligible(rules: Sequence[Rule], resource: Row) -> bool:
    return all(rule.model.keep(resource) for rule in rules if isinstance(rule.model, Eligible))


def working_time(
    rules: Sequence[Rule], resource: Row, start: datetime, end: datetime
) -> list[Interval]:
    if any(isinstance(rule.model, WorkingTime) for rule in rules):
        return working_intervals(resource["working_hours"], resource["timezone"], start, end)
    return [(start, end)]


async def load(
    tx: Tx, wants: list[Want], *, objective: Objective, time_limit: float, workers: int
) -> Instance:
    rules = constraints.RULES
    rows = await queries.solver_resources(tx)
    await check_references(tx, wants, rows)
    usable = [r for r in rows if eligible(rules, r)]
    with_skill: dict[str, set[int]] = {}
    for k, r in enumerate(usable):
        for skill in r["skills"]:
            with_skill.setdefault(skill, set()).add(k)
    everyone = set(range(len(usable)))
    matching = []
    for w in wants:
        fit = set(everyone)
        for skill in w.skills:
            fit &= with_skill.get(skill, set())
        matching.append(sorted(k for k in fit if matches(w, usable[k])))
    involved = sorted({k for ks in matching for k in ks})
    index = {k: i for i, k in enumerate(involved)}
    resources = [usable[k] for k in involved]
    start = min(w.start for w in wants).replace(microsecond=0)
    end = max(w.end for w in wants)
    held = await held_by_rules(tx, rules, [r["id"] for r in resources], start, end)
    busy = [
        merge((max(h["start"], start), min(h["end"], end)) for h in held.get(r["id"], []))
        for r in resources
    ]
    free = [
        subtract(working_time(rules, r, start, end), b)
        for r, b in zip(resources, busy, strict=True)
    ]
    project_ids = sorted({w.project_id for w in wants if w.project_id is not None})
    left = await budgets_by_rules(tx, rules, project_ids)
    budgeted = list(left)

    def seconds(moment: datetime, up: bool) -> int:
        value = (moment - start).total_seconds()
        return math.ceil(value) if up else math.floor(value)

    # Free windows in whole seconds from ``start`` (shrunk inward), per resource.
    free_s = [[(seconds(lo, True), seconds(hi, False)) for lo, hi in f] for f in free]
    firsts = [[lo for lo, _ in f] for f in free_s]
    clipped: dict[tuple[int, int, int], list[tuple[int, int]]] = {}

    def within(i: int, w_lo: int, w_hi: int) -> list[tuple[int, int]]:
        """Resource i's free windows clipped to [w_lo, w_hi); demands often share one."""
        key = (i, w_lo, w_hi)
        if key not in clipped:
            # Sorted and disjoint: start from the last window starting at or before w_lo.
            first = max(bisect.bisect_right(firsts[i], w_lo) - 1, 0)
            found = []
            for lo, hi in free_s[i][first:]:
                if lo >= w_hi:
                    break
                if hi > w_lo:
                    found.append((max(lo, w_lo), min(hi, w_hi)))
            clipped[key] = found
        return clipped[key]

    tasks = []
    for want, ks in zip(wants, matching, strict=True):
        duration = math.ceil(want.duration.total_seconds())
        w_lo, w_hi = seconds(want.start, True), seconds(want.end, False)
        candidates = []
        for k in ks:
            i = index[k]
            windows = tuple(span for span in within(i, w_lo, w_hi) if span[1] - span[0] >= duration)
            if windows:
                candidates.append(Candidate(resource=i, windows=windows))
        project = budgeted.index(want.project_id) if want.project_id in left else None
        tasks.append(Task(duration, len(ks), tuple(candidates), project))
    problem = AssignmentProblem(
        tasks=tuple(tasks),
        busy=tuple(tuple((seconds(lo, False), seconds(hi, True)) for lo, hi in b) for b in busy),
        load=tuple(sum(seconds(hi, True) - seconds(lo, False) for lo, hi in b) for b in busy),
        budgets=tuple(math.floor(left[p]) for p in budgeted),
        objective=objective,
        time_limit=time_limit,
        workers=workers,
    )
    return Instance(wants, rules, problem, start, resources)
