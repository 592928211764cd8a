"""The installed wheel, as production runs it: build it, install it (not editable) into a
fresh virtualenv from .ci/requirements/prod.lock, and from a directory outside the checkout
run what docker-compose.yml and the README's Deploy section run: `migrate` (as the owner,
creating the login role), `seed`, `serve` until /readyz answers 200, the worker until
arq's health check (the compose healthcheck) passes, and `backup` / `restore`.

Usage: .venv/bin/python .ci/wheel_smoke.py   (every step is bounded in time)
PostgreSQL and Redis: BOOKING_TEST_DATABASE_URL / BOOKING_TEST_REDIS_URL (a superuser
URL), else private servers under .data/ci.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
import venv
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.devservices import resolve_services  # noqa: E402

STEP_TIMEOUT = 300


def step(title: str) -> None:
    print(f"wheel-smoke: {title}", flush=True)


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT
    )
    if done.returncode != 0:
        raise SystemExit(f"wheel-smoke: {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def with_user(url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}", path=f"/{database}"))


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def wait_for(check: object, what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, subprocess.SubprocessError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"wheel-smoke: {what} not within {within:.0f} s")


def main() -> None:
    env_urls = {
        "BOOKING_DATABASE_URL": os.environ.get("BOOKING_TEST_DATABASE_URL", ""),
        "BOOKING_REDIS_URL": os.environ.get("BOOKING_TEST_REDIS_URL", ""),
    }
    with (
        resolve_services(ROOT / ".data" / "ci", {k: v for k, v in env_urls.items() if v}) as found,
        tempfile.TemporaryDirectory() as tmp,
    ):
        work = Path(tmp)
        step("building the wheel")
        run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
            cwd=work,
        )
        wheel = next(work.glob("booking_server-*.whl"))
        step(f"installing {wheel.name} into a fresh virtualenv from .ci/requirements/prod.lock")
        venv.create(work / "venv", with_pip=True)
        python = str(work / "venv" / "bin" / "python")
        pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        run(
            [*pip, "--require-hashes", "-r", str(ROOT / ".ci" / "requirements" / "prod.lock")],
            cwd=work,
        )
        run([*pip, "--no-deps", str(wheel)], cwd=work)
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        check = run(
            [
                python,
                "-c",
                # aiohttp is a runtime dependency (webhook deliveries); bench is not shipped.
                "import importlib.util as u; print(u.find_spec('bench'))",
            ],
            cwd=elsewhere,
        )
        if check.strip() != "None":
            raise SystemExit(f"wheel-smoke: the wheel ships bench: {check}")

        name = f"booking_wheel_{uuid.uuid4().hex[:8]}"
        login = f"booking_wheel_web_{uuid.uuid4().hex[:6]}"
        asyncio.run(admin(found.database_url, f'CREATE DATABASE "{name}"'))
        owner_url = urlunsplit(urlsplit(found.database_url)._replace(path=f"/{name}"))
        app_url = with_user(found.database_url, login, secrets.token_urlsafe(16), name)
        base = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
        app_env = {
            **base,
            "BOOKING_DATABASE_URL": app_url,
            "BOOKING_REDIS_URL": found.redis_url,
            "BOOKING_JWT_SECRET": secrets.token_urlsafe(48),
        }
        procs: list[subprocess.Popen[bytes]] = []
        try:
            step("migrate as the owner, creating the login role")
            out = run(
                [python, "-m", "server", "migrate"],
                cwd=elsewhere,
                env={**base, "BOOKING_DATABASE_URL": owner_url, "BOOKING_APP_LOGIN_URL": app_url},
            )
            if "applying 0001_core.sql" not in out or f"login role {login}" not in out:
                raise SystemExit(f"wheel-smoke: migrate did not apply the schema:\n{out}")
            step("seed as the login role")
            out = run([python, "-m", "server", "seed"], cwd=elsewhere, env=app_env)
            if "demo tenant 'demo' created" not in out:
                raise SystemExit(f"wheel-smoke: seed said:\n{out}")
            step("serve until /readyz answers 200")
            port = 18000 + os.getpid() % 1000
            log = (work / "serve.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [python, "-m", "server", "serve", "--port", str(port)],
                    cwd=elsewhere,
                    env=app_env,
                    stdout=log,
                    stderr=log,
                )
            )
            wait_for(
                lambda: httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200,
                "/readyz 200",
            )
            step("the worker until `arq --check workers.settings.WorkerSettings` passes")
            procs.append(
                subprocess.Popen(
                    [python, "-m", "workers"],
                    cwd=elsewhere,
                    env=app_env,
                    stdout=log,
                    stderr=log,
                )
            )
            arq = str(work / "venv" / "bin" / "arq")
            wait_for(
                lambda: (
                    subprocess.run(
                        [arq, "--check", "workers.settings.WorkerSettings"],
                        cwd=elsewhere,
                        env=app_env,
                        capture_output=True,
                        timeout=30,
                    ).returncode
                    == 0
                ),
                "the worker's health check",
            )
            step("backup, then restore into a new database")
            backup = elsewhere / "booking.backup"
            run(
                [python, "-m", "server", "backup", "--out", str(backup)],
                cwd=elsewhere,
                env={**base, "BOOKING_DATABASE_URL": owner_url},
            )
            copy = f"{name}_restored"
            asyncio.run(admin(found.database_url, f'CREATE DATABASE "{copy}"'))
            copy_url = urlunsplit(urlsplit(found.database_url)._replace(path=f"/{copy}"))
            run(
                [python, "-m", "server", "restore", str(backup)],
                cwd=elsewhere,
                env={**base, "BOOKING_DATABASE_URL": copy_url},
            )
            step("ok")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for database in (name, f"{name}_restored"):
                asyncio.run(
                    admin(found.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                )
            asyncio.run(admin(found.database_url, f'DROP ROLE IF EXISTS "{login}"'))


if __name__ == "__main__":
    main()
