"""What HTTP handlers share for the life of the process, built by ``create_app``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from server.auth.revocation import Revocations
from server.config import Settings
from server.db import Database
from server.http.ratelimit import Limiter
from server.solver.pool import SolverPool


@dataclass(slots=True)
class Runtime:
    settings: Settings
    db: Database
    redis: Redis
    limiter: Limiter
    revocations: Revocations
    solver: SolverPool
    # Work a request started but does not wait for (a mail); awaited at shutdown.
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logging.getLogger(__name__).error("background task failed", exc_info=task.exception())

    async def drain(self, seconds: float) -> None:
        """Wait for started background work, at most ``seconds``."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=seconds)
