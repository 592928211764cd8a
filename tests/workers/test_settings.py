from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from arq.jobs import deserialize_job

from server.config import Settings
from server.db import Job
from server.workflow import queue
from tests.workers.harness import PrivateRedis
from workers import settings as worker_settings


@pytest.mark.parametrize("period", [1, 2, 5, 7, 13, 30, 59, 60, 90, 600, 3600])
def test_sweep_schedule_never_leaves_a_gap_longer_than_the_period(period: int) -> None:
    schedule = worker_settings.sweep_schedule(period)
    if "minute" in schedule and isinstance(schedule["minute"], set):
        marks = sorted(m * 60 for m in schedule["minute"])
        span = 3600
    elif "minute" in schedule:
        marks, span = [0], 3600
    else:
        marks, span = sorted(schedule["second"]), 60
    gaps = [b - a for a, b in zip(marks, [*marks[1:], marks[0] + span], strict=True)]
    assert max(gaps) <= period


def test_worker_settings_use_msgspec_and_the_heartbeat_key(settings: Settings) -> None:
    built = worker_settings.build(settings)
    assert built.job_serializer is queue.serialize  # type: ignore[attr-defined]
    assert built.job_deserializer is queue.deserialize  # type: ignore[attr-defined]
    assert built.health_check_key == queue.HEARTBEAT_KEY  # type: ignore[attr-defined]
    names = {f.__name__ for f in built.functions}  # type: ignore[attr-defined]
    assert names == {"fire_timer", "deliver_notification", "release_hold"}
    crons = {c.name for c in built.cron_jobs}  # type: ignore[attr-defined]
    assert crons == {"sweep", "maintain"}


async def test_enqueue_is_deterministic_deferred_and_not_pickled(
    private_redis: PrivateRedis,
) -> None:
    pool = queue.pool(private_redis.url)
    try:
        enqueue = queue.enqueuer(pool)
        due = datetime.now(UTC) + timedelta(minutes=5)
        job = Job(name="fire_timer", args=("t", "x"), job_id="expire:b:1", defer_until=due)
        await enqueue([job])
        await enqueue([job])
        queued = await pool.zrange(queue.QUEUE_NAME, 0, -1, withscores=True)
        [(key, score)] = queued
        assert key == b"expire:b:1"
        assert abs(score - due.timestamp() * 1000) <= 1
        raw = await pool.get("arq:job:expire:b:1")
        assert isinstance(raw, bytes)
        assert msgspec.msgpack.decode(raw)["f"] == "fire_timer"
        assert deserialize_job(raw, deserializer=queue.deserialize).args == ["t", "x"]
    finally:
        await queue.close(pool)
