"""Liveness, readiness (with Redis going away and coming back) and metrics."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from server.app import create_app
from server.config import Settings
from server.devservices import redis_argv, redis_pong, start_redis
from server.workflow.queue import HEARTBEAT_KEY

REDIS_SERVER = shutil.which("redis-server")


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    # No worker runs against this Redis: the heartbeat is informational, not a gate.
    assert "worker" in body


async def test_metrics(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE booking_http_requests_total counter" in response.text
    assert 'booking_http_requests_total{method="GET",route="/healthz",status="200"}' in (
        response.text
    )


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if redis_pong(port):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"redis on port {port} did not start")
        time.sleep(0.05)


@contextmanager
def redis_on_port(port: int, data_dir: Path) -> Iterator[Callable[[], None]]:
    """A private redis-server on ``port``; yields its stop function, which is idempotent."""
    assert REDIS_SERVER is not None
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        redis_argv(REDIS_SERVER, port, data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    try:
        _wait_for_port(port)
        yield stop
    finally:
        stop()


@contextmanager
def private_redis(data_dir: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """The dev services' private Redis; the test restarts it itself on the same port."""
    url, stop = start_redis(data_dir)
    try:
        yield url, stop
    finally:
        stop()


async def _readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
async def test_readyz_follows_redis_down_and_back(settings: Settings, tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis") as (url, stop):
        port = urlsplit(url).port
        assert port is not None
        async with app_client(msgspec.structs.replace(settings, redis_url=url)) as client:
            assert await _readyz(client) == (
                200,
                {"status": "ok", "checks": {"database": "ok", "redis": "ok"}, "worker": None},
            )

            await asyncio.to_thread(stop)
            status, body = await _readyz(client)
            assert status == 503
            assert body["status"] == "unavailable"
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["redis"].startswith("down")

            with redis_on_port(port, tmp_path / "redis-again"):
                deadline = time.monotonic() + 15
                while (await _readyz(client))[0] != 200:
                    assert time.monotonic() < deadline, "readiness did not recover"
                    await asyncio.sleep(0.1)
                assert await _readyz(client) == (
                    200,
                    {"status": "ok", "checks": {"database": "ok", "redis": "ok"}, "worker": None},
                )


async def test_readyz_reports_the_worker_heartbeat(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    redis = Redis.from_url(settings.require_redis_url())
    try:
        await redis.set(HEARTBEAT_KEY, "Nov-22 05:35:28 j_complete=3", ex=5)
        response = await client.get("/readyz")
    finally:
        await redis.delete(HEARTBEAT_KEY)
        await redis.aclose()
    assert response.status_code == 200
    assert response.json()["worker"] == "Nov-22 05:35:28 j_complete=3"
