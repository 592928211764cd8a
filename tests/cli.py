"""Run ``python -m server …`` as a user would, with only the ``BOOKING_*`` settings given."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from server.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(*args: str, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess[str]:
    """The command's result; inherited ``BOOKING_*`` variables are dropped first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    env.update(settings)
    # run() kills the child when the timeout expires.
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_serve(**settings: str) -> subprocess.CompletedProcess[str]:
    """``serve`` on a free port: for settings it must refuse before it listens."""
    return run_cli("serve", "--port", str(free_port()), **settings)


@asynccontextmanager
async def serving(settings: Settings, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """``serve`` on a free port with the test databases and ``env``; a client of it."""
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
