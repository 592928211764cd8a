"""Solving runs in worker processes: the event loop keeps running meanwhile."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from server.solver.pool import SolverPool
from server.solver.problem import AssignmentProblem
from tests.server.solver.test_model import random_problem


async def test_the_loop_keeps_running_while_a_solve_takes_its_time() -> None:
    base = random_problem(3, tasks=300, resources=20)
    problem = AssignmentProblem(tasks=base.tasks, busy=base.busy, load=base.load, time_limit=1.5)
    pool = SolverPool(1)
    pool.warm()
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    try:
        began = time.monotonic()
        solution, greedy_count = await pool.solve(problem)
        elapsed = time.monotonic() - began
    finally:
        ticking.cancel()
        await pool.close()
    assert len(solution.placed) >= greedy_count
    assert elapsed > 0.3  # it did take its time...
    assert len(gaps) > 10 and max(gaps) < 0.75  # ...and the loop never stalled for it


def test_the_server_does_not_import_or_tools() -> None:
    """Only the solver's worker processes load OR-Tools (and NumPy and pandas, ~85 MiB):
    a serve process hands problems over."""
    check = (
        "import sys, server.app, server.solver.pool;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'ortools', 'numpy', 'pandas'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
