from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.config import Settings
from server.db import Database
from server.workflow import queue
from tests.conftest import scratch_database
from tests.workers.harness import PrivateRedis, WorkerProcess, eventually, heartbeat

SWEEP_SECONDS = 1


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def worker_settings(
    settings: Settings, services: tuple[str, str], private_redis: PrivateRedis
) -> AsyncIterator[Settings]:
    """A database of the test's own: a worker sweeps every tenant of its database, so
    leftovers of other tests (pending notifications, timers) would reach this test's sink."""
    async with scratch_database(services[0], "booking_wk") as url:
        yield msgspec.structs.replace(
            settings, database_url=url, redis_url=private_redis.url, sweep_seconds=SWEEP_SECONDS
        )


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    assert settings.database_url and settings.redis_url and settings.jwt_secret
    return {
        "BOOKING_DATABASE_URL": settings.database_url,
        "BOOKING_REDIS_URL": settings.redis_url,
        "BOOKING_JWT_SECRET": settings.jwt_secret,
        "BOOKING_SWEEP_SECONDS": str(settings.sweep_seconds),
        **extra,
    }


StartWorker = Callable[..., Awaitable[WorkerProcess]]


@pytest.fixture
async def start_worker(worker_settings: Settings, tmp_path: Path) -> AsyncIterator[StartWorker]:
    """Start ``python -m workers`` (extra ``BOOKING_*`` env as keywords); all killed at the end.

    With ``wait`` (the default) it returns once the worker's heartbeat is in Redis.
    """
    started: list[WorkerProcess] = []
    assert worker_settings.redis_url
    url = worker_settings.redis_url

    async def start(wait: bool = True, **env: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        process = WorkerProcess(worker_env(worker_settings, **env), log)
        started.append(process)
        process.start()
        if wait:
            assert await eventually(lambda: _started(process, url), within=20), process.log()
        return process

    try:
        yield start
    finally:
        for process in started:
            process.kill()


@pytest.fixture
async def worker(start_worker: StartWorker) -> WorkerProcess:
    """A running worker on the private Redis."""
    return await start_worker()


async def _started(process: WorkerProcess, url: str) -> bool:
    assert process.running(), process.log()
    return await heartbeat(url) is not None


@pytest.fixture
async def worker_client(worker_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP app wired to the private Redis, so its jobs reach the test's worker."""
    app = create_app(worker_settings)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def jobs_db(worker_settings: Settings) -> AsyncIterator[Database]:
    """A pool whose committed jobs are enqueued on the private Redis."""
    db = await Database.connect(worker_settings, min_size=1)
    assert worker_settings.redis_url
    pool = queue.pool(worker_settings.redis_url)
    db.enqueuer = queue.enqueuer(pool)
    try:
        yield db
    finally:
        await queue.close(pool)
        await db.close()
