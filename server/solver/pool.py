"""Solving off the event loop: CP-SAT runs in worker processes, so a long solve never
stalls the server's other requests (nor holds the GIL the loop needs)."""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import msgspec

from server.solver.problem import AssignmentProblem, Solution

# Imported by the worker processes only: OR-Tools (with NumPy and pandas) stays out of
# the serve process, which only hands problems over.
MODEL = "server.solver.model"

_ANSWER = msgspec.msgpack.Decoder(tuple[Solution, int])


class SolverPool:
    """A process pool of ``processes`` workers, started on first use and stopped by
    ``close``. Workers are spawned (not forked), so they share no sockets, locks or event
    loop with the server."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn")
            )
        return self._executor

    def warm(self) -> None:
        """Start the workers now (spawning one and importing OR-Tools takes a second or
        two) rather than on the first solve; the result is not waited for."""
        pool = self._pool()
        for _ in range(self.processes):
            pool.submit(_load_model)

    async def solve(self, problem: AssignmentProblem) -> tuple[Solution, int]:
        """CP-SAT's solution and how many demands the first-fit greedy assigns."""
        loop = asyncio.get_running_loop()
        data = msgspec.msgpack.encode(problem)
        return _ANSWER.decode(await loop.run_in_executor(self._pool(), _compare_encoded, data))

    async def close(self) -> None:
        """Stop the workers (a solve in progress runs to its time limit first)."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


def _load_model() -> None:
    """In a worker process: import the model (and OR-Tools) now, not at the first solve."""
    importlib.import_module(MODEL)


def _compare_encoded(data: bytes) -> bytes:
    """In a worker process: ``server.solver.model.compare_encoded``."""
    encoded: bytes = importlib.import_module(MODEL).compare_encoded(data)
    return encoded
