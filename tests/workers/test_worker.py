import uuid
from pathlib import Path

import asyncpg
import httpx

from server.config import Settings
from server.db import Context, Database, Tx
from server.notifications import service as notifications
from tests.factories import signup
from tests.workers.conftest import worker_env
from tests.workers.harness import PrivateRedis, WorkerProcess, eventually, heartbeat


async def test_heartbeat_and_graceful_stop(
    worker: WorkerProcess, worker_settings: Settings
) -> None:
    assert worker_settings.redis_url
    beat = await heartbeat(worker_settings.redis_url)
    assert beat is not None and b"j_complete=" in beat
    assert worker.terminate() == 0, worker.log()
    assert await heartbeat(worker_settings.redis_url) is None
    assert "worker stopped" in worker.log()


async def test_survives_a_redis_restart(
    worker: WorkerProcess, worker_settings: Settings, private_redis: PrivateRedis
) -> None:
    assert worker_settings.redis_url
    url = worker_settings.redis_url
    private_redis.stop()
    assert await eventually(lambda: _lost_redis(worker), within=15), worker.log()
    private_redis.start()
    assert await eventually(lambda: _beating(url), within=30), worker.log()
    assert worker.proc is not None and worker.proc.poll() is None


async def _lost_redis(worker: WorkerProcess) -> bool:
    return "lost Redis" in worker.log()


async def _beating(url: str) -> bool:
    return await heartbeat(url) is not None


async def test_outbox_message_is_sent_by_the_worker(
    worker: WorkerProcess,
    jobs_db: Database,
    worker_client: httpx.AsyncClient,
    worker_settings: Settings,
) -> None:
    database_url = worker_settings.require_database_url()
    tenant = await signup(worker_client)

    async def work(tx: Tx) -> list[uuid.UUID]:
        return await notifications.notify_roles(
            tx, roles=["admin"], kind="test", subject="Hi", body="From the worker"
        )

    [notification_id] = await jobs_db.run(Context(tenant_id=uuid.UUID(tenant.id)), work)

    async def sent() -> bool:
        conn = await asyncpg.connect(database_url)
        try:
            state = await conn.fetchval(
                "SELECT state FROM notifications WHERE id = $1", notification_id
            )
        finally:
            await conn.close()
        return bool(state == "sent")

    assert await eventually(sent, within=10), worker.log()


async def test_bad_configuration_stops_with_one_line(tmp_path: Path) -> None:
    process = WorkerProcess(
        {"BOOKING_DATABASE_URL": "mysql://nope", "BOOKING_REDIS_URL": "redis://x"},
        tmp_path / "bad.log",
    )
    process.start()
    assert process.proc is not None
    try:
        assert process.proc.wait(20) == 2
    finally:
        process.kill()
    assert "BOOKING_DATABASE_URL" in process.log()


def test_env_helper_names_every_setting(worker_settings: Settings) -> None:
    env = worker_env(worker_settings)
    assert env["BOOKING_SWEEP_SECONDS"] == "1"


async def test_the_plain_arq_command_runs_the_same_worker(
    worker_settings: Settings, tmp_path: Path
) -> None:
    process = WorkerProcess(worker_env(worker_settings), tmp_path / "arq.log")
    process.argv = ["-m", "arq", "workers.settings.WorkerSettings"]
    process.start()
    try:
        assert worker_settings.redis_url
        url = worker_settings.redis_url
        assert await eventually(lambda: _beating(url), within=20), process.log()
        assert process.terminate() == 0, process.log()
    finally:
        process.kill()
