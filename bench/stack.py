"""The tool's own stack: private PostgreSQL and Redis, a fresh database, N serve processes.

Everything listens on 127.0.0.1 and is stopped when the ``with`` block ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from server import migrations
from server.devservices import DEFAULT_DATA_DIR, free_port, resolve_services

DATA_DIR = DEFAULT_DATA_DIR / "bench"
DATABASE = "bench"
READY_TIMEOUT = 60.0
STOP_GRACE = 10.0
# Limits high enough that a load test measures the server, not its rate limiter.
SERVER_ENV = {
    "BOOKING_SIGNUP": "open",
    "BOOKING_RATE_LIMIT_WRITE": "1000000/minute",
    "BOOKING_RATE_LIMIT_LOGIN": "1000000/minute",
    "BOOKING_RATE_LIMIT_LOGIN_IP": "1000000/minute",
    "BOOKING_RATE_LIMIT_READ": "1000000/minute",
    "BOOKING_RATE_LIMIT_REFRESH": "1000000/minute",
    "BOOKING_RATE_LIMIT_SIGNUP": "1000000/minute",
    "BOOKING_ACCESS_TOKEN_TTL": "7200",
    "BOOKING_LOG_LEVEL": "warning",
    # As the yardstick's bare app: 8 connections a process (2 cores; and pgbench's 64
    # clients must fit next to them under max_connections 100).
    "BOOKING_POOL_MAX": "8",
}


@dataclass(frozen=True)
class Stack:
    """Where the servers are; ``pids`` are the serve processes (for RSS and py-spy);
    ``durability`` says how the PostgreSQL under them commits (for the report)."""

    urls: list[str]
    database_url: str | None
    pids: list[int]
    worker_pids: list[int] = field(default_factory=list)
    durability: str = "as configured"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def fresh_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def durability_of(database_url: str) -> str:
    """``fsync=on synchronous_commit=on`` (or off) as the server reports them."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        fsync = await conn.fetchval("SHOW fsync")
        commit = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    return f"fsync={fsync} synchronous_commit={commit}"


@contextmanager
def own_stack(
    processes: int,
    *,
    data_dir: Path = DATA_DIR,
    log: Callable[[str], None] = print,
    extra_env: dict[str, str] | None = None,
    durable: bool = True,
    postgres_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 0,
) -> Iterator[Stack]:
    """A fresh database, migrated, ``processes`` servers and ``workers`` worker processes,
    on private PostgreSQL and Redis (``durable``: fsync and synchronous_commit on,
    PostgreSQL's defaults) or on the servers at ``postgres_url`` (its superuser, any
    database) / ``redis_url``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    given = {"BOOKING_DATABASE_URL": postgres_url or "", "BOOKING_REDIS_URL": redis_url or ""}
    with resolve_services(data_dir, given, durable=durable) as services:
        # A shared server may hold other runs' bench databases: this one is ours alone.
        name = f"{DATABASE}_{os.getpid()}" if postgres_url else DATABASE
        database_url = asyncio.run(fresh_database(services.database_url, name))
        asyncio.run(migrations.migrate(database_url, progress=lambda _line: None))
        env = dict(os.environ)
        env.update(SERVER_ENV)
        env.update(extra_env or {})
        env["BOOKING_DATABASE_URL"] = database_url
        env["BOOKING_REDIS_URL"] = services.redis_url
        env["BOOKING_JWT_SECRET"] = secrets.token_urlsafe(48)
        with ExitStack() as stack:
            urls = []
            procs = []
            for index in range(processes):
                port = free_port()
                out = stack.enter_context((data_dir / f"serve-{index}.log").open("wb"))
                argv = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1"]
                proc = subprocess.Popen(
                    [*argv, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
                )
                stack.callback(_stop, proc)
                procs.append(proc)
                urls.append(f"http://127.0.0.1:{port}")
            worker_pids = []
            for index in range(workers):
                out = stack.enter_context((data_dir / f"worker-{index}.log").open("wb"))
                worker = subprocess.Popen(
                    [sys.executable, "-m", "workers"], env=env, stdout=out, stderr=subprocess.STDOUT
                )
                stack.callback(_stop, worker)
                worker_pids.append(worker.pid)
            _wait_ready(urls, procs, data_dir)
            durability = asyncio.run(durability_of(database_url))
            log(
                f"stack: {processes} serve processes {', '.join(urls)}; database {database_url}"
                f" ({durability})"
            )
            yield Stack(
                urls=urls,
                database_url=database_url,
                pids=[p.pid for p in procs],
                worker_pids=worker_pids,
                durability=durability,
            )
        if postgres_url:
            asyncio.run(drop_database(services.database_url, name))


def _wait_ready(urls: list[str], procs: list[subprocess.Popen[bytes]], data_dir: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    for index, (url, proc) in enumerate(zip(urls, procs, strict=True)):
        while not _ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (data_dir / f"serve-{index}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"serve process {index} did not become ready:\n{tail}")
            time.sleep(0.1)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE)


def rss_kb(pid: int) -> int:
    """Resident set size of a process from /proc, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
