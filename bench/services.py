"""PostgreSQL and Redis of the fault runs' own, which they may restart, stop and freeze.

``server.devservices`` runs its servers as children that live as long as their owner; a
fault run needs more: restart PostgreSQL with ``pg_ctl restart -m fast`` on the same port,
stop Redis and start it again, freeze it with SIGSTOP. Both listen on 127.0.0.1 on a free
port and keep it across restarts; both are stopped when the ``with`` block ends. Never
the machine's shared servers: a throwaway cluster in a temporary folder, a Redis of our own.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from server.devservices import free_port, redis_pong

START_TIMEOUT = 60.0
# Throwaway data: durability is not what a fault run measures.
PG_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "listen_addresses=127.0.0.1",
    "max_connections=200",
)


def _bindir() -> Path:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(found) / "pg_ctl").is_file():
            return Path(found)
    if pg_ctl := shutil.which("pg_ctl"):
        return Path(pg_ctl).parent
    raise RuntimeError("pg_ctl not found: install postgresql")


def _as_owner() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: as root, run its tools as ``postgres``."""
    options: dict[str, Any] = {"cwd": "/", "stdin": subprocess.DEVNULL}
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        options |= {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    return options


class Postgres:
    """A private cluster driven with ``pg_ctl``; ``url`` is its superuser's."""

    def __init__(self, folder: Path) -> None:
        self.bindir = _bindir()
        self.pgdata = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        options = " ".join(f"-c {s}" for s in (*PG_SETTINGS, f"port={self.port}"))
        options += f" -c unix_socket_directories={self.pgdata}"
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log)]
        argv += ["-o", options, "-t", str(int(START_TIMEOUT)), *args]
        done = subprocess.run(argv, capture_output=True, text=True, **_as_owner())
        if check and done.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done

    def init(self) -> None:
        self.pgdata.mkdir(mode=0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in (self.pgdata.parent, self.pgdata):
                os.chown(path, user.pw_uid, user.pw_gid)
        argv = [str(self.bindir / "initdb"), "-D", str(self.pgdata), "-U", "postgres"]
        argv += ["-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]
        done = subprocess.run(argv, capture_output=True, text=True, **_as_owner())
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._pg_ctl("start", "-w")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w", check=False)

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: sessions are ended, the server comes back on its port."""
        self._pg_ctl("restart", "-m", "fast", "-w")

    def pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])


class Redis:
    """A private ``redis-server`` child: stop/start on the same port, pause/resume."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: install redis-server")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as out:
            self.proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not redis_pong(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Kill it (its data with it, as a crash would: Redis keeps nothing here)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait(timeout=START_TIMEOUT)
        self.proc = None

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing is answered."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@contextmanager
def private_services() -> Iterator[tuple[Postgres, Redis]]:
    """A fresh cluster and Redis in a temporary folder, both stopped and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="booking-faults-"))
    postgres, redis = Postgres(folder), Redis(folder)
    try:
        postgres.init()
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
