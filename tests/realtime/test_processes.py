"""Two ``python -m server serve`` processes sharing PostgreSQL and Redis."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest

from realtime.relay import LOCK_KEYS
from server.config import Settings
from server.db import Database
from tests.factories import Tenant, signup
from tests.realtime.conftest import (
    WAIT,
    LiveServer,
    Mirror,
    eventually,
    free_socket,
    mirror,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
Proc = tuple[subprocess.Popen[bytes], str]


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    assert settings.database_url and settings.redis_url and settings.jwt_secret
    env.update(
        BOOKING_DATABASE_URL=settings.database_url,
        BOOKING_REDIS_URL=settings.redis_url,
        BOOKING_JWT_SECRET=settings.jwt_secret,
        BOOKING_HEARTBEAT_SECONDS=str(settings.heartbeat_seconds),
        BOOKING_RELAY_POLL_SECONDS=str(settings.relay_poll_seconds),
        BOOKING_RATE_LIMIT_WRITE="100000/minute",
        BOOKING_RATE_LIMIT_LOGIN="100000/minute",
        BOOKING_RATE_LIMIT_LOGIN_IP="100000/minute",
        BOOKING_RATE_LIMIT_READ="100000/minute",
        BOOKING_SIGNUP="open",
        BOOKING_LOG_LEVEL="warning",
    )
    return env


@contextmanager
def _processes(
    settings: Settings, count: int
) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(count):
            sock = free_socket()
            port = sock.getsockname()[1]
            sock.close()
            proc = subprocess.Popen(
                [sys.executable, "-m", "server", "serve", "--port", str(port)],
                cwd=ROOT,
                env=_env(settings),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            started.append((proc, f"http://127.0.0.1:{port}"))
        yield started
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=WAIT)
            if proc.stderr is not None:
                proc.stderr.close()


async def _healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=1) as http, asyncio.timeout(30):
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


@asynccontextmanager
async def _http(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        yield http


async def _create_resource(http: httpx.AsyncClient, tenant: Tenant, name: str) -> None:
    response = await http.post(
        "/v1/resources", json={"name": name, "kind": "room"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text


def pushed(m: Mirror) -> list[str]:
    return [e["data"]["name"] for e in m.client.named("resource.created")]


async def _leader_pids(db: Database) -> set[int]:
    """Backends holding the relay's advisory lock (at most one)."""
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = $1 AND objid = $2 AND objsubid = 2"
            # pg_locks lists every database: other tests' apps lead the relay elsewhere.
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            *LOCK_KEYS,
        )
    return {row["pid"] for row in rows}


async def _new_leader(db: Database, old: set[int]) -> None:
    # Followers retry the lock every few seconds; a loaded 2-core machine needs slack.
    async with asyncio.timeout(3 * WAIT):
        while True:
            pids = await _leader_pids(db)
            if pids and not pids & old:
                return
            await asyncio.sleep(0.05)


async def test_changes_reach_sockets_on_every_process_and_survive_the_leader(
    live: LiveServer, rt_settings: Settings, rt_db: Database
) -> None:
    relay = live.app.realtime.relay
    assert relay is not None
    mirrors: list[Mirror] = []
    with _processes(rt_settings, 2) as procs:
        try:
            await asyncio.gather(*(_healthy(url, proc) for proc, url in procs))
            (proc_a, url_a), (_, url_b) = procs
            tenant = await signup(live.http)
            on_a, on_b, here = [await mirror(url, tenant.token) for url in (url_a, url_b, live.url)]
            mirrors.extend([on_a, on_b, here])
            # Made through process A, pushed to sockets on B and here by this process's relay.
            async with _http(url_a) as http_a:
                await _create_resource(http_a, tenant, "one")
            for m in mirrors:
                await eventually(partial(lambda m: pushed(m) == ["one"], m))
            # This process stops relaying: a subprocess takes the lead and pushes.
            old = await _leader_pids(rt_db)
            await relay.stop()
            await _new_leader(rt_db, old)
            async with _http(url_b) as http_b:
                await _create_resource(http_b, tenant, "two")
                for m in mirrors:
                    await eventually(partial(lambda m: pushed(m) == ["one", "two"], m))
                # Process A dies (leader or not); what B commits still reaches every socket
                # left, pushed by the next leader or filled in through heartbeat + sync.
                proc_a.send_signal(signal.SIGKILL)
                proc_a.wait(timeout=WAIT)
                await eventually(lambda: not on_a.client.sio.connected)
                await _create_resource(http_b, tenant, "three")
            for m in (on_b, here):
                await eventually(partial(lambda m: m.applied == [1, 2, 3], m))
        finally:
            relay.start()
            for m in mirrors:
                await m.client.close()
