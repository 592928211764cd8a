"""Real PostgreSQL and Redis for every test run.

``BOOKING_TEST_DATABASE_URL`` / ``BOOKING_TEST_REDIS_URL`` (or the plain ``BOOKING_*``
URLs) point at servers to use; otherwise private ones are started from the machine's
binaries under ``.data/test``. Each run (each xdist worker) migrates a fresh database
of its own and drops it at the end; each test makes its own tenant, so nothing needs
cleaning between tests.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from server import migrations
from server.app import create_app
from server.config import Settings, load_settings
from server.devservices import resolve_services

ROOT = Path(__file__).resolve().parent.parent


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def services() -> Iterator[tuple[str, str]]:
    env = {
        "BOOKING_DATABASE_URL": os.environ.get("BOOKING_TEST_DATABASE_URL")
        or os.environ.get("BOOKING_DATABASE_URL", ""),
        "BOOKING_REDIS_URL": os.environ.get("BOOKING_TEST_REDIS_URL")
        or os.environ.get("BOOKING_REDIS_URL", ""),
    }
    env = {k: v for k, v in env.items() if v}
    with ExitStack() as stack:
        found = stack.enter_context(resolve_services(ROOT / ".data" / "test", env))
        yield found.database_url, found.redis_url


@asynccontextmanager
async def scratch_database(
    admin_url: str, prefix: str = "booking_test", *, migrate: bool = True
) -> AsyncIterator[str]:
    """A fresh database of its own (migrated unless asked not to), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = _with_database(admin_url, name)
    try:
        if migrate:
            await migrations.migrate(url, progress=lambda _: None)
        yield url
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def database_url(services: tuple[str, str]) -> AsyncIterator[str]:
    async with scratch_database(services[0]) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(services: tuple[str, str]) -> str:
    return services[1]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return load_settings(
        {},
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=secrets.token_urlsafe(48),
        # The default is closed; the tests create a tenant each.
        signup="open",
        rate_limit_write="100000/minute",
        rate_limit_read="100000/minute",
        rate_limit_signup="100000/minute",
        rate_limit_refresh="100000/minute",
        rate_limit_password_reset="100000/minute",
        rate_limit_login="100000/minute",
        rate_limit_login_ip="100000/minute",
        pool_max=40,
        # Tests start many apps; each would spawn a solver process at once.
        solver_warm_up=False,
    )


@pytest.fixture(scope="session")
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
def client(app_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return app_client
