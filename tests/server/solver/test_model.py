"""The CP-SAT model against the first-fit greedy, on small instances where the answer is
known, and on ones where the greedy loses."""

from __future__ import annotations

import itertools
import random

from server.solver.model import (
    AssignmentProblem,
    Candidate,
    Task,
    compare,
    earliest_fit,
    greedy,
    prune,
    reasons,
    solve,
)

H = 3600


def task(
    duration: int, *cands: tuple[int, tuple[tuple[int, int], ...]], project: int | None = None
) -> Task:
    return Task(
        duration=duration,
        eligible=len(cands),
        candidates=tuple(Candidate(r, w) for r, w in cands),
        project=project,
    )


def problem(*tasks: Task, resources: int = 2, **extra: object) -> AssignmentProblem:
    return AssignmentProblem(
        tasks=tuple(tasks),
        busy=tuple(() for _ in range(resources)),
        load=tuple(0 for _ in range(resources)),
        **extra,  # type: ignore[arg-type]
    )


def valid(p: AssignmentProblem, placed: dict[int, tuple[int, int]]) -> None:
    """Every placement inside a window of its candidate, no two overlapping on a resource,
    none overlapping a held period, budgets kept."""
    spans: dict[int, list[tuple[int, int]]] = {}
    spent = [0] * len(p.budgets)
    for t, (resource, start) in placed.items():
        tk = p.tasks[t]
        cand = next(c for c in tk.candidates if c.resource == resource)
        end = start + tk.duration
        assert any(lo <= start and end <= hi for lo, hi in cand.windows)
        spans.setdefault(resource, []).append((start, end))
        if tk.project is not None:
            spent[tk.project] += tk.duration
    for resource, items in spans.items():
        items = sorted(items + list(p.busy[resource]))
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(items)), items
    assert all(s <= max(b, 0) for s, b in zip(spent, p.budgets, strict=True))


def test_greedy_loses_a_flexible_demand_taking_the_only_slot_of_a_fixed_one() -> None:
    # A fits R0 or R1; B only R0, in the same hour. First fit puts A on R0 and loses B.
    a = task(H, (0, ((0, H),)), (1, ((0, H),)))
    b = task(H, (0, ((0, H),)))
    p = problem(a, b)
    assert len(greedy(p)) == 1
    solution = solve(p)
    assert solution.placed == {0: (1, 0), 1: (0, 0)}
    assert solution.optimal
    valid(p, solution.placed)


def test_greedy_loses_when_an_early_start_blocks_a_tight_window() -> None:
    # One resource free for 3 h. A (1 h, anywhere in the 3 h) first fits at the start; B
    # (2 h) must take the first 2 h exactly, so A belongs in the last hour.
    a = task(H, (0, ((0, 3 * H),)))
    b = task(2 * H, (0, ((0, 2 * H),)))
    p = problem(a, b, resources=1)
    assert len(greedy(p)) == 1
    solution = solve(p)
    assert sorted(solution.placed.items()) == [(0, (0, 2 * H)), (1, (0, 0))]
    valid(p, solution.placed)


def test_greedy_loses_to_a_budget_spent_on_one_long_demand() -> None:
    # Budget 4 h: greedy books the 4 h demand first, so the two 2 h demands are refused.
    long = task(4 * H, (0, ((0, 8 * H),)), project=0)
    short = [task(2 * H, (1, ((0, 8 * H),)), project=0) for _ in range(2)]
    p = problem(long, *short, budgets=(4 * H,))
    assert len(greedy(p)) == 1
    solution = solve(p)
    assert sorted(solution.placed) == [1, 2]
    valid(p, solution.placed)
    assert reasons(p, solution.placed) == {0: "budget"}


def test_held_periods_and_windows_are_respected() -> None:
    p = AssignmentProblem(
        tasks=(task(H, (0, ((0, 4 * H),))), task(H, (0, ((0, 4 * H),)))),
        busy=(((H, 3 * H),),),
        load=(2 * H,),
    )
    solution = solve(p)
    assert sorted(solution.placed.values()) == [(0, 0), (0, 3 * H)]
    valid(p, solution.placed)


def test_reasons() -> None:
    p = problem(
        Task(duration=H, eligible=0, candidates=()),
        Task(duration=H, eligible=1, candidates=()),
        task(H, (0, ((0, H),))),
        task(H, (0, ((0, H),))),
        task(2 * H, (1, ((0, 4 * H),)), project=0),
        budgets=(H,),
    )
    placed = solve(p).placed
    assert len(placed) == 1
    assert reasons(p, placed) == {
        0: "no_candidate",
        1: "no_time",
        **{t: "capacity" for t in (2, 3) if t not in placed},
        4: "budget",
    }


def test_balanced_spreads_and_earliest_packs_early() -> None:
    # R0 is booked for the first 6 of 8 h; two 1 h demands fit either resource.
    demands = tuple(task(H, (0, ((6 * H, 8 * H),)), (1, ((0, 8 * H),))) for _ in range(2))
    busy: tuple[tuple[tuple[int, int], ...], ...] = (((0, 6 * H),), ())
    earliest = solve(AssignmentProblem(tasks=demands, busy=busy, load=(6 * H, 0)))
    assert sorted(earliest.placed.values()) == [(1, 0), (1, H)]
    balanced = solve(
        AssignmentProblem(tasks=demands, busy=busy, load=(6 * H, 0), objective="balanced")
    )
    assert {r for r, _ in balanced.placed.values()} == {1}  # R0 would reach 7 h
    # With equal loads, balanced puts one on each resource.
    even = AssignmentProblem(
        tasks=tuple(task(H, (0, ((0, 8 * H),)), (1, ((0, 8 * H),))) for _ in range(2)),
        busy=((), ()),
        load=(0, 0),
        objective="balanced",
    )
    assert {r for r, _ in solve(even).placed.values()} == {0, 1}


def random_problem(seed: int, tasks: int = 40, resources: int = 6) -> AssignmentProblem:
    rng = random.Random(seed)
    made = []
    for _ in range(tasks):
        duration = rng.choice((1, 2, 3)) * H
        lo = rng.randrange(0, 20) * H
        hi = lo + duration + rng.randrange(0, 6) * H
        cands = rng.sample(range(resources), rng.randint(1, 3))
        made.append(task(duration, *((r, ((lo, hi),)) for r in sorted(cands))))
    return AssignmentProblem(
        tasks=tuple(made),
        busy=tuple(() for _ in range(resources)),
        load=tuple(0 for _ in range(resources)),
        time_limit=1.0,
    )


def test_never_fewer_than_greedy_and_always_valid_on_random_instances() -> None:
    wins = 0
    for seed in range(8):
        p = random_problem(seed)
        solution, greedy_count = compare(p)
        valid(p, solution.placed)
        valid(p, greedy(p))
        assert len(solution.placed) >= greedy_count
        wins += len(solution.placed) > greedy_count
    assert wins > 0  # the greedy loses on some of these


def test_time_limit_returns_the_best_found_not_proven_optimal() -> None:
    p = random_problem(1, tasks=400, resources=30)
    tight = AssignmentProblem(
        tasks=p.tasks, busy=p.busy, load=p.load, time_limit=0.05, objective="balanced"
    )
    solution = solve(tight)
    assert not solution.optimal
    valid(tight, solution.placed)


def test_earliest_fit() -> None:
    assert earliest_fit([(0, 10)], [(2, 4)], 2) == 0
    assert earliest_fit([(0, 10)], [(1, 4)], 2) == 4
    assert earliest_fit([(0, 10)], [(1, 4), (5, 9)], 2) is None
    assert earliest_fit([(0, 3), (5, 9)], [(0, 2)], 2) == 5


def test_a_capped_model_keeps_the_greedy_choice_and_is_not_called_optimal() -> None:
    # 12 candidates, cap 8: the greedy's first fit (resource 0, free latest) stays in.
    late = task(H, (0, ((5 * H, 6 * H),)), *((r, ((0, 6 * H),)) for r in range(1, 12)))
    p = AssignmentProblem(
        tasks=(late,),
        busy=tuple(() for _ in range(12)),
        load=tuple(0 for _ in range(12)),
        max_candidates=8,
    )
    pruned, cut = prune(p, greedy(p))
    assert cut
    assert [c.resource for c in pruned.tasks[0].candidates] == list(range(8))
    solution = solve(p)
    assert len(solution.placed) == 1
    assert solution.placed[0][1] == 0  # earliest: at 0 on one of the others
    assert not solution.optimal
