"""``python -m server dev``: private services, migrate, demo seed, web and worker together."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from server import migrations
from server.config import Settings, load_settings
from server.db import Database
from server.devservices import resolve_services
from server.seed import (
    SIZES,
    DemoLogin,
    Size,
    Tick,
    demo_password,
    seed_demo,
    seed_load,
    write_credentials,
)

STOP_GRACE = 10.0


def _jwt_secret(path: Path) -> str:
    """A development signing key, generated once so tokens survive restarts."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


async def _seed(settings: Settings, password: str, size: Size, tick: Tick | None) -> DemoLogin:
    db = await Database.connect(settings, min_size=1)
    try:
        login = await seed_demo(db, settings, password)
        if size.tenants:
            await seed_load(db, settings, size, password, tick or (lambda: None))
        return login
    finally:
        await db.close()


def seed(
    settings: Settings,
    credentials: Path | None,
    *,
    size: Size = SIZES["small"],
    tick: Tick | None = None,
) -> DemoLogin:
    """Seed the demo tenant (and the load tenants of ``size``). The password is
    ``BOOKING_DEMO_PASSWORD``, else the one kept in ``credentials``, else a new one; a new
    demo tenant's logins are written to ``credentials`` when given."""
    password = settings.demo_password or demo_password(credentials)
    login = asyncio.run(_seed(settings, password, size, tick))
    if login.created and credentials is not None:
        write_credentials(credentials, login)
    return login


def banner(login: DemoLogin, host: str, port: int, settings: Settings) -> str:
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"  Booking server   {base}",
        f"  Dashboard        {base}/app/",
        f"  API reference    {base}/docs",
        f"  Socket.IO        {base}/socket.io/",
        f"  PostgreSQL       {settings.database_url}",
        f"  Redis            {settings.redis_url}",
        "",
        f"  Demo tenant '{login.tenant}' (demo only), password {login.password}",
    ]
    lines += [f"    {role:<8} {email}" for role, email in login.emails.items()]
    lines += ["", "  Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def _run_together(commands: list[list[str]], env: Mapping[str, str]) -> int:
    """Run the processes until one exits or Ctrl-C; then stop the rest."""
    procs = [subprocess.Popen(cmd, env=dict(env)) for cmd in commands]
    code = 0
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        code = next(p.returncode for p in procs if p.returncode is not None)
    except KeyboardInterrupt:
        code = 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
    return code


def run_dev(data_dir: Path, host: str, port: int) -> int:
    # A shell's background job starts with SIGINT ignored; `kill -INT` should still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with resolve_services(data_dir, os.environ) as services:
        env = dict(os.environ)
        env["BOOKING_DATABASE_URL"] = services.database_url
        env["BOOKING_REDIS_URL"] = services.redis_url
        env.setdefault("BOOKING_JWT_SECRET", _jwt_secret(data_dir / "dev" / "jwt-secret"))
        env.setdefault("BOOKING_SIGNUP", "open")
        settings = load_settings(env)
        asyncio.run(migrations.migrate(services.database_url))
        login = seed(settings, data_dir / "dev" / "demo-credentials.txt")
        print(banner(login, host, port, settings), flush=True)
        python = sys.executable
        return _run_together(
            [
                [python, "-m", "server", "serve", "--host", host, "--port", str(port)],
                [python, "-m", "workers"],
            ],
            env,
        )
