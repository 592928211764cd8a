"""``serve`` believes X-Forwarded-For only from BOOKING_FORWARDED_ALLOW_IPS: behind the
proxy every client gets its own per-address login bucket, and nobody else can choose one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from server.config import Settings
from tests.cli import ROOT, free_port


@asynccontextmanager
async def _serve(settings: Settings, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    assert settings.database_url and settings.redis_url and settings.jwt_secret
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    full.update(
        BOOKING_DATABASE_URL=settings.database_url,
        BOOKING_REDIS_URL=settings.redis_url,
        BOOKING_JWT_SECRET=settings.jwt_secret,
        BOOKING_LOG_LEVEL="warning",
        **env,
    )
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        cwd=ROOT,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            async with asyncio.timeout(30):
                while True:
                    assert proc.poll() is None, "serve exited"
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            yield http
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _login(http: httpx.AsyncClient, forwarded_for: str) -> int:
    body = {"tenant": "no-such-tenant", "email": f"{uuid.uuid4().hex}@x.test", "password": "x"}
    response = await http.post(
        "/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


def _address() -> str:
    return f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


async def test_a_trusted_proxy_gives_each_client_its_own_bucket(settings: Settings) -> None:
    async with _serve(
        settings, BOOKING_FORWARDED_ALLOW_IPS="127.0.0.1", BOOKING_RATE_LIMIT_LOGIN_IP="2/minute"
    ) as http:
        first, second = _address(), _address()
        assert [await _login(http, first) for _ in range(3)] == [401, 401, 429]
        assert await _login(http, second) == 401


async def test_an_untrusted_peer_cannot_choose_its_address(settings: Settings) -> None:
    async with _serve(
        settings,
        BOOKING_FORWARDED_ALLOW_IPS="10.255.255.1",
        BOOKING_RATE_LIMIT_LOGIN_IP="2/minute",
    ) as http:
        # Every request counts against 127.0.0.1, whatever X-Forwarded-For says.
        statuses = [await _login(http, _address()) for _ in range(3)]
        assert statuses[-1] == 429
