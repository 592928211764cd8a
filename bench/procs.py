"""Serve and worker processes a fault run can kill and start again, and what /proc and
PostgreSQL say about them: memory, descriptors, pool connections, the relay leader."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg

from realtime.relay import LOCK_KEYS
from server.devservices import free_port

READY_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parent.parent


class Proc:
    """``python -m server serve`` on a fixed port, or ``python -m workers``; output to a log."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log: Path, url: str = ""
    ) -> None:
        self.name = name
        self.url = url
        self.argv = argv
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.ready_after = 0.0  # seconds from the last start to ready

    @classmethod
    def serve(cls, name: str, env: dict[str, str], folder: Path) -> Proc:
        port = free_port()
        argv = ["-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return cls(name, argv, env, folder / f"{name}.log", f"http://127.0.0.1:{port}")

    @classmethod
    def worker(cls, name: str, env: dict[str, str], folder: Path) -> Proc:
        return cls(name, ["-m", "workers"], env, folder / f"{name}.log")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *self.argv],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1

    def wait_ready(self) -> None:
        """Serve: until ``/readyz`` answers 200; worker: a moment to connect."""
        deadline = time.monotonic() + READY_TIMEOUT
        while self.url and not _ready(self.url):
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not become ready:\n{self.tail()}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=READY_TIMEOUT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def local_ports(pid: int) -> set[int]:
    """Local TCP ports of the process's sockets (from /proc/<pid>/fd and /proc/net/tcp*)."""
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def backend_ports(conn: asyncpg.Connection) -> dict[int, bool]:
    """{client port: holds the relay lock} of every client backend of this database."""
    rows = await conn.fetch(
        "SELECT a.client_port, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid"
        "  AND l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2"
        "  AND l.objsubid = 2) AS leads"
        " FROM pg_stat_activity a"
        " WHERE a.datname = current_database() AND a.backend_type = 'client backend'"
        "  AND a.pid <> pg_backend_pid() AND a.client_port IS NOT NULL",
        *LOCK_KEYS,
    )
    return {row["client_port"]: row["leads"] for row in rows}


async def pool_sizes(database_url: str, procs: list[Proc]) -> dict[str, tuple[int, bool]]:
    """{process name: (PostgreSQL connections it holds, whether it leads the relay)}."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        backends = await backend_ports(conn)
    finally:
        await conn.close()
    found: dict[str, tuple[int, bool]] = {}
    for proc in procs:
        if not proc.alive():
            continue
        mine = local_ports(proc.pid) & set(backends)
        found[proc.name] = (len(mine), any(backends[port] for port in mine))
    return found


async def relay_leader(database_url: str, procs: list[Proc], within: float = 30.0) -> Proc:
    """The serve process whose relay holds the lock (waiting for one to take it)."""
    deadline = time.monotonic() + within
    while True:
        sizes = await pool_sizes(database_url, procs)
        for proc in procs:
            if sizes.get(proc.name, (0, False))[1]:
                return proc
        if time.monotonic() > deadline:
            raise RuntimeError("no serve process leads the relay")
        await asyncio.sleep(0.2)
