"""Test data made through the real HTTP API; every test makes its own tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import msgspec
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.config import Settings
from server.db import APP_ROLE

PASSWORD = "Correct-Horse-42"


@dataclass
class Tenant:
    id: str
    slug: str
    admin: dict[str, Any]
    token: str
    refresh_token: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signup(client: httpx.AsyncClient, **overrides: Any) -> Tenant:
    slug = overrides.pop("slug", f"t-{uuid.uuid4().hex[:12]}")
    body = {
        "name": f"Tenant {slug}",
        "slug": slug,
        "admin": {"email": f"admin@{slug}.test", "name": "Admin", "password": PASSWORD},
        **overrides,
    }
    response = await client.post("/v1/tenants", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Tenant(
        id=data["tenant"]["id"],
        slug=slug,
        admin=data["user"],
        token=data["access_token"],
        refresh_token=data["refresh_token"],
        body=data,
    )


async def add_user(
    client: httpx.AsyncClient, tenant: Tenant, role: str, **overrides: Any
) -> tuple[dict[str, Any], str]:
    """A new user of ``tenant`` with ``role`` (created by its admin), and their access token."""
    body = {
        "email": f"{role}-{uuid.uuid4().hex[:8]}@{tenant.slug}.test",
        "name": role.title(),
        "role": role,
        "password": PASSWORD,
        **overrides,
    }
    response = await client.post("/v1/users", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    login = await client.post(
        "/v1/auth/login",
        json={"tenant": tenant.slug, "email": body["email"], "password": body["password"]},
    )
    assert login.status_code == 200, login.text
    return response.json(), login.json()["access_token"]


@asynccontextmanager
async def client_with(
    settings: Settings, address: str = "127.0.0.1", **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second app built with some settings changed (low limits, closed signup).

    ``address`` is the client address the app sees (per-address rate limits).
    """
    app = create_app(msgspec.structs.replace(settings, **overrides))
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
        transport = httpx.ASGITransport(
            app=manager.app, raise_app_exceptions=False, client=(address, 40000)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def as_app(conn: asyncpg.Connection, tenant_id: str | uuid.UUID) -> None:
    """Run the rest of ``conn``'s open transaction as the server does: as the application
    role, for ``tenant_id`` (what row-level security reads)."""
    await conn.execute(
        "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)",
        APP_ROLE,
        str(tenant_id),
    )
