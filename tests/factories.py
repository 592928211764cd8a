"""Test data made through the real HTTP API; every test makes its own tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

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
