"""A private Redis and a real ``python -m workers`` subprocess for worker tests.

Worker tests never touch the shared Redis: each gets its own server, which they may
flush, stop and restart freely. Every wait is bounded; every process is killed in the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.devservices import free_port, redis_argv, redis_pong
from server.workflow.queue import HEARTBEAT_KEY

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    """The dev services' Redis (``redis_argv``) on a fixed port, stopped and started again
    by the test (``devservices.start_redis`` picks a new port each start)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for worker tests"
        argv = redis_argv(binary, self.port, self.workdir)
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if redis_pong(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class WorkerProcess:
    """``python -m workers`` with the given settings, its output kept in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
        self.env = {**inherited, **env, "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.argv = ["-m", "workers"]

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, *self.argv],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, interval: float = 0.1
) -> bool:
    """Poll ``check`` until it is true or ``within`` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if await check():
                return True
        except (OSError, RedisError):
            pass
        await asyncio.sleep(interval)
    return False


async def heartbeat(url: str) -> bytes | None:
    redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        value = await redis.get(HEARTBEAT_KEY)
        return value if isinstance(value, bytes) else None
    finally:
        await redis.aclose()
