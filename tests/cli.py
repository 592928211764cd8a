"""Run ``python -m server …`` as a user would, with only the ``BOOKING_*`` settings given."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx

from server.config import Settings
from server.devservices import free_port

ROOT = Path(__file__).resolve().parent.parent


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


@contextmanager
def serving(*args: str, **settings: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``serve`` on a free port until it answers /healthz: (base URL, process with stderr
    piped); stopped with SIGTERM afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    env.update(settings)
    command = [sys.executable, "-m", "server", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("serve did not start") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@asynccontextmanager
async def serving_async(settings: Settings, **env: str) -> AsyncIterator[httpx.AsyncClient]:
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
