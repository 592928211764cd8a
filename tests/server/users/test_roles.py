"""The role matrix for every endpoint of identity and access, enforced by the route table."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, add_user, auth, signup

ROLES = ("admin", "manager", "member", "viewer")
ADMIN_ONLY = {"admin"}
EVERYONE = set(ROLES)


def _cases(target: str) -> list[tuple[str, str, dict[str, Any] | None, set[str], int]]:
    """(method, path, body, roles allowed, success status)."""
    return [
        ("GET", "/v1/me", None, EVERYONE, 200),
        ("GET", "/v1/users", None, ADMIN_ONLY, 200),
        ("GET", f"/v1/users/{target}", None, ADMIN_ONLY, 200),
        ("PATCH", f"/v1/users/{target}", {"name": "New name"}, ADMIN_ONLY, 200),
        ("DELETE", f"/v1/users/{target}", {"reason": "matrix"}, ADMIN_ONLY, 200),
        ("POST", f"/v1/users/{target}/reactivate", None, ADMIN_ONLY, 200),
        # Last: logout ends the token it was called with.
        ("POST", "/v1/auth/logout", {"refresh_token": "rt_x_y"}, EVERYONE, 204),
    ]


@pytest.mark.parametrize("role", ROLES)
async def test_role_matrix(client: httpx.AsyncClient, role: str) -> None:
    tenant = await signup(client)
    if role == "admin":
        token = tenant.token
    else:
        _, token = await add_user(client, tenant, role)
    target, _ = await add_user(client, tenant, "viewer")
    create = await client.post(
        "/v1/users",
        json={
            "email": f"{uuid.uuid4().hex[:8]}@x.test",
            "name": "N",
            "role": "viewer",
            "password": PASSWORD,
        },
        headers=auth(token),
    )
    assert create.status_code == (201 if role == "admin" else 403), create.text
    for method, path, body, allowed, success in _cases(target["id"]):
        response = await client.request(method, path, json=body, headers=auth(token))
        expected = success if role in allowed else 403
        assert response.status_code == expected, (role, method, path, response.text)
        if expected == 403:
            assert response.json()["code"] == "forbidden"


async def test_every_authenticated_endpoint_needs_a_token(client: httpx.AsyncClient) -> None:
    target = uuid.uuid4()
    for method, path, body, _, _ in [*_cases(str(target)), ("POST", "/v1/users", {}, set(), 0)]:
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "unauthorized"
