"""Run ``python -m server …`` as a user would, with only the ``BOOKING_*`` settings given."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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
