"""Run ``python -m server …`` as a user would, with only the ``BOOKING_*`` settings given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

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
