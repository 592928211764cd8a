"""The write-path yardstick (``../shared/yardstick/run.sh``) run by the bench itself, on
the same PostgreSQL and in the same invocation, so the product's figures are given as
ratios of what the machine does for the bare statement and a bare app at that moment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.report import Yardstick

ROOT = Path(__file__).resolve().parent.parent
_LINE = re.compile(
    r"bare statement (?P<bare>[0-9.]+) tps; with pg_notify (?P<notify>[0-9.]+) tps;"
    r" bare app (?P<app>[0-9.]+) req/s, p99 (?P<p99>[0-9.]+)(?P<unit>ms|s|us)"
)


# Milliseconds per unit of wrk's latencies.
MS_PER = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class YardstickError(RuntimeError):
    pass


def find_folder() -> Path | None:
    """``shared/yardstick`` next to the checkout or one of its parents."""
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent / "shared" / "yardstick"
        if (candidate / "run.sh").is_file():
            return candidate
    return None


def find_script() -> Path:
    """``shared/yardstick/run.sh`` next to the checkout or one of its parents."""
    folder = find_folder()
    if folder is None:
        raise YardstickError(
            "shared/yardstick/run.sh not found above the checkout; pass --yardstick"
        )
    return folder / "run.sh"


def server_url(database_url: str) -> str:
    """The server part of a database URL: the script names its databases itself."""
    return urlunsplit(urlsplit(database_url)._replace(path=""))


def parse(text: str) -> Yardstick:
    found = _LINE.search(text)
    if found is None:
        raise YardstickError(f"no figures in the yardstick's output:\n{text[-1500:]}")
    scale = MS_PER[found["unit"]]
    return Yardstick(
        bare_tps=float(found["bare"]),
        notify_tps=float(found["notify"]),
        app_rps=float(found["app"]),
        app_p99_ms=round(float(found["p99"]) * scale, 2),
    )


def run(
    database_url: str, *, clients: int, seconds: int, port: int, script: Path | None = None
) -> Yardstick:
    """Run the yardstick against the server of ``database_url`` (its superuser)."""
    path = script or find_script()
    env = dict(os.environ)
    env.update(
        PGURL=server_url(database_url),
        C=str(clients),
        T=str(seconds),
        PORT=str(port),
        # The script runs the bare app with $OLDPWD/$PY: a path relative to the checkout.
        PY=os.path.relpath(sys.executable, ROOT),
    )
    done = subprocess.run(
        [str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=4 * seconds + 120
    )
    if done.returncode != 0:
        raise YardstickError(f"yardstick failed:\n{(done.stdout + done.stderr)[-2000:]}")
    result = parse(done.stdout)
    result.clients, result.seconds = clients, seconds
    return result
