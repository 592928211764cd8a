"""Run ``python -m server …`` as a user would, with only the ``BOOKING_*`` settings given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
