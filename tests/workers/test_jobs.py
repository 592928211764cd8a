"""A timer job that could not apply asks arq to run it again instead of failing for good;
one sweep at a time per worker."""

import asyncio
import uuid

import msgspec
import pytest
from arq import Retry

from bench.services import private_services
from server.config import Settings
from server.db import Database
from tests.conftest import scratch_database
from workers import jobs

pytestmark = pytest.mark.slow


async def test_a_timer_job_that_cannot_reach_the_database_is_retried_later(
    settings: Settings,
) -> None:
    with private_services() as (postgres, redis):
        redis.stop()
        async with scratch_database(postgres.url, "booking_retry") as url:
            db = await Database.connect(msgspec.structs.replace(settings, database_url=url))
            try:
                await asyncio.to_thread(postgres.stop)
                ctx = {"db": db, "job_try": 2}
                with pytest.raises(Retry) as raised:
                    await jobs.fire_timer(ctx, str(uuid.uuid4()), str(uuid.uuid4()))
                assert raised.value.defer_score == 2 * jobs.RETRY_SECONDS * 1000
            finally:
                await asyncio.to_thread(postgres.start)
                await db.close()


async def test_a_sweep_leaves_the_work_to_one_still_running() -> None:
    running = asyncio.Lock()
    ctx: dict[str, object] = {"sweeping": running}  # no database: it must not be touched
    async with running:
        assert await jobs.sweep(ctx) == {
            "timers": 0,
            "holds": 0,
            "notifications": 0,
            "webhook_runs": 0,
        }
