"""Private PostgreSQL and Redis for development and tests, started from the machine's binaries.

Each server runs as a child process of the caller and listens on a free port on 127.0.0.1.
A data folder holds one "slot" per running server (``pg``, ``pg-1``, ``redis``, ...), each
guarded by a lock file, so parallel test workers sharing a data folder get a cluster each;
a PostgreSQL cluster is created once per slot and reused on later starts.

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` (else ``nobody``)
user; if that user cannot reach the data folder (pytest's private ``/tmp/pytest-of-root``,
say), the cluster lives in a temporary directory for that one run.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_TIMEOUT = 30.0

_INSTALL_HINT = (
    "install `postgresql postgresql-contrib redis-server` (Debian/Ubuntu), "
    "or run `docker compose up db redis` and set BOOKING_DATABASE_URL / BOOKING_REDIS_URL"
)
# A unix socket path ("<dir>/.s.PGSQL.NNNNN") must fit in 107 bytes.
_MAX_SOCKET_DIR = 88


class ServicesError(Exception):
    """A private server could not be started; the message is meant for the user."""


@dataclass(frozen=True)
class Services:
    """Where PostgreSQL (as its superuser) and Redis are reachable."""

    database_url: str
    redis_url: str


@contextmanager
def resolve_services(
    data_dir: Path, env: Mapping[str, str], *, durable: bool = False
) -> Iterator[Services]:
    """Use ``BOOKING_DATABASE_URL`` / ``BOOKING_REDIS_URL`` from *env* where set and start
    private servers under *data_dir* for the rest; stop what was started on exit.
    ``durable``: a started PostgreSQL keeps fsync and synchronous_commit on (benchmarks)."""
    with ExitStack() as stack:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            signal.signal(signal.SIGTERM, _interrupt)
            stack.callback(signal.signal, signal.SIGTERM, signal.SIG_DFL)
        database_url = env.get("BOOKING_DATABASE_URL") or _started(
            stack, partial(start_postgres, durable=durable), data_dir
        )
        redis_url = env.get("BOOKING_REDIS_URL") or _started(stack, start_redis, data_dir)
        yield Services(database_url=database_url, redis_url=redis_url)


def start_postgres(data_dir: Path, *, durable: bool = False) -> tuple[str, Callable[[], None]]:
    """Start a private PostgreSQL cluster under *data_dir*; return its URL and a stop function.
    Not ``durable``: fsync, synchronous_commit and full_page_writes off (throwaway data)."""
    bindir = _pg_bindir()
    user = _unprivileged_user()
    with ExitStack() as stack:
        base = _claim_slot(stack, data_dir.resolve(), "pg")
        pgdata = base
        if user is not None and not _reachable(base.parent, user):
            pgdata = _private_tempdir(stack, user) / base.name
        _init_cluster(bindir, pgdata, user)
        _remove_stale_pidfile(pgdata)
        sockets = pgdata if len(str(pgdata)) <= _MAX_SOCKET_DIR else _private_tempdir(stack, user)
        port = _free_port()
        settings = (
            [] if durable else ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        )
        settings += ["listen_addresses=127.0.0.1", f"port={port}", "max_connections=300"]
        settings.append(f"unix_socket_directories={sockets}")
        argv = [str(bindir / "postgres"), "-D", str(pgdata)]
        argv += [arg for setting in settings for arg in ("-c", setting)]
        proc, log = _spawn(stack, base, argv, str(pgdata), user)
        isready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
        isready += ["-U", "postgres", "-d", "postgres", "-t", "1"]
        _wait_until("PostgreSQL", lambda: subprocess.run(isready).returncode == 0, proc, log)
        stop = _stopper(stack.pop_all())
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


def start_redis(data_dir: Path) -> tuple[str, Callable[[], None]]:
    """Start a private Redis under *data_dir*; return its URL and a stop function."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServicesError(f"redis-server not found on PATH: {_INSTALL_HINT}")
    with ExitStack() as stack:
        base = _claim_slot(stack, data_dir.resolve(), "redis")
        base.mkdir(exist_ok=True)
        port = _free_port()
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(base)]
        # Redis retitles itself "redis-server 127.0.0.1:PORT", which is what a later run finds.
        proc, log = _spawn(stack, base, argv, f"127.0.0.1:{port}", None)
        _wait_until("Redis", lambda: _redis_pong(port), proc, log)
        stop = _stopper(stack.pop_all())
    return f"redis://127.0.0.1:{port}/0", stop


def _started(
    stack: ExitStack, start: Callable[[Path], tuple[str, Callable[[], None]]], data_dir: Path
) -> str:
    url, stop = start(data_dir)
    stack.callback(stop)
    return url


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so `with` blocks and pytest fixtures stop the servers.
    raise KeyboardInterrupt


def _stopper(stack: ExitStack) -> Callable[[], None]:
    def stop() -> None:
        atexit.unregister(stop)
        stack.close()  # a second close finds nothing left to do

    atexit.register(stop)
    return stop


def _pg_bindir() -> Path:
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))
    versioned = (Path(p) for p in glob.glob(PG_BIN_GLOB))
    candidates += sorted(versioned, key=lambda p: _version(p.parent.name), reverse=True)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "postgres", "pg_isready")):
            return bindir
    raise ServicesError(f"PostgreSQL server binaries (initdb, postgres) not found: {_INSTALL_HINT}")


def _version(name: str) -> list[int]:
    return [int(part) for part in name.split(".") if part.isdigit()]


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServicesError("running as root and no `postgres` or `nobody` user to run PostgreSQL as")


def _child(user: pwd.struct_passwd | None) -> dict[str, Any]:
    # Own process group: Ctrl-C reaches only us, and we stop the servers in order.
    options: dict[str, Any] = {"cwd": "/", "process_group": 0, "stdin": subprocess.DEVNULL}
    if user is not None:
        options |= {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    return options


def _reachable(path: Path, user: pwd.struct_passwd) -> bool:
    return subprocess.run(["test", "-x", str(path)], **_child(user)).returncode == 0


def _private_tempdir(stack: ExitStack, user: pwd.struct_passwd | None) -> Path:
    path = Path(tempfile.mkdtemp(prefix="booking-pg-"))
    stack.callback(shutil.rmtree, path, ignore_errors=True)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def _claim_slot(stack: ExitStack, data_dir: Path, name: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        base = data_dir / (name if n == 0 else f"{name}-{n}")
        lock = open(f"{base}.lock", "wb")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        stack.callback(lock.close)
        _stop_leftover(Path(f"{base}.pid"))
        return base
    raise ServicesError(f"no free {name} slot in {data_dir}")


def _stop_leftover(marker: Path) -> None:
    # A server whose owner was killed (SIGKILL) outlives it; we hold the slot lock, so a
    # server still running for this slot is such an orphan.
    try:
        pid_text, needle = marker.read_text().split("\n", 1)
        pid = int(pid_text)
    except (OSError, ValueError):
        return
    if _running(pid, needle):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + START_TIMEOUT
    while _running(pid, needle):
        if time.monotonic() > deadline:
            raise ServicesError(f"a server left over from an earlier run (pid {pid}) won't stop")
        time.sleep(0.1)
    marker.unlink(missing_ok=True)


def _running(pid: int, needle: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
    return not zombie and needle.encode() in cmdline


def _init_cluster(bindir: Path, pgdata: Path, user: pwd.struct_passwd | None) -> None:
    if (pgdata / "PG_VERSION").is_file():
        return
    shutil.rmtree(pgdata, ignore_errors=True)  # left over from an interrupted initdb
    pgdata.mkdir(mode=0o700)
    if user is not None:
        os.chown(pgdata, user.pw_uid, user.pw_gid)
    argv = [str(bindir / "initdb"), "-D", str(pgdata), "-U", "postgres", "-A", "trust"]
    argv += ["-E", "UTF8", "--no-locale", "--no-sync"]
    done = subprocess.run(argv, capture_output=True, text=True, **_child(user))
    if done.returncode != 0:
        raise ServicesError(f"initdb failed for {pgdata}:\n{done.stdout}{done.stderr}".strip())
    (pgdata / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")


def _remove_stale_pidfile(pgdata: Path) -> None:
    # Left by a killed server, its pid may since belong to another process (containers
    # reuse pids quickly), which would make PostgreSQL refuse to start.
    pidfile = pgdata / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError):
        if not _running(int(pidfile.read_text().split()[0]), str(pgdata)):
            pidfile.unlink()


def _spawn(
    stack: ExitStack, base: Path, argv: list[str], needle: str, user: pwd.struct_passwd | None
) -> tuple[subprocess.Popen[bytes], Path]:
    log, marker = Path(f"{base}.log"), Path(f"{base}.pid")
    out = stack.enter_context(log.open("wb"))
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, **_child(user))
    stack.callback(marker.unlink, missing_ok=True)
    stack.callback(_terminate, proc)
    marker.write_text(f"{proc.pid}\n{needle}")
    return proc, log


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    # SIGINT is PostgreSQL's fast shutdown (as `pg_ctl stop -m fast`); Redis exits on it.
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(START_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_until(
    what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc.poll() is not None:
            problem = f"{what} exited with code {proc.returncode}"
        elif time.monotonic() > deadline:
            problem = f"{what} was not ready after {START_TIMEOUT:.0f} s"
        else:
            time.sleep(0.05)
            continue
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ServicesError(f"{problem}; the end of {log}:\n{tail}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    """Start private PostgreSQL and Redis, print their URLs and run until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m server.devservices", description=main.__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    try:
        with resolve_services(args.data_dir, {}) as services:
            print(f"BOOKING_DATABASE_URL={services.database_url}")
            print(f"BOOKING_REDIS_URL={services.redis_url}", flush=True)
            while True:
                signal.pause()
    except KeyboardInterrupt:
        pass
    except ServicesError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
