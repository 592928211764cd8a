"""A connected Socket.IO client receives the events a worker's transitions produce."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
import uvicorn

from server.app import create_app
from server.config import Settings
from tests.realtime.conftest import connect, free_socket
from tests.server.bookings.common import world
from tests.workers.conftest import worker_env
from tests.workers.harness import PrivateRedis, WorkerProcess, eventually, heartbeat

WAIT = 10.0


@pytest.fixture
async def live_settings(worker_settings: Settings) -> Settings:
    # worker_settings has a database of its own, so this server leads the relay there.
    return msgspec.structs.replace(worker_settings, relay_poll_seconds=0.2)


@pytest.fixture
async def live_url(live_settings: Settings) -> AsyncIterator[str]:
    app = create_app(live_settings)
    sock = free_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", timeout_graceful_shutdown=2)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)
        sock.close()


async def test_socket_client_gets_escalated_and_expired_from_the_worker(
    live_settings: Settings, live_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    process = WorkerProcess(worker_env(live_settings), tmp_path / "worker.log")
    process.start()
    try:

        async def beating() -> bool:
            return await heartbeat(private_redis.url) is not None

        assert await eventually(beating, within=20), process.log()
        async with httpx.AsyncClient(base_url=live_url, timeout=WAIT) as http:
            w = await world(http)
            await w.settings(approval_required=True, escalate_after="PT1S", expire_after="PT2S")
            client = await connect(live_url, w.tenant.token)
            try:
                start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
                response = await w.book(
                    start.isoformat(), (start + timedelta(hours=1)).isoformat(), headers=w.member
                )
                booking_id = response.json()["id"]

                async def both() -> bool:
                    return bool(client.named("booking.expired"))

                assert await eventually(both, within=15), process.log()
                types = [
                    event
                    for event, data in client.received
                    if event.startswith("booking.") and data["data"]["id"] == booking_id
                ]
                assert types == ["booking.created", "booking.escalated", "booking.expired"]
                [escalated] = client.named("booking.escalated")
                [expired] = client.named("booking.expired")
                assert escalated["data"]["escalated_at"] is not None
                assert expired["data"]["status"] == "expired"
                assert expired["seq"] == escalated["seq"] + 1
                assert expired["actor_id"] is None
            finally:
                await client.close()
    finally:
        process.kill()
