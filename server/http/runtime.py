"""What HTTP handlers share for the life of the process, built by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

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
    limits: Limiter
    revocations: Revocations
    solver: SolverPool
