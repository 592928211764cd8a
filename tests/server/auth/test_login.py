"""Login: tokens for a match, one indistinguishable 401 for any mismatch, argon2id hashes."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from server.auth import passwords, service
from server.auth.passwords import HASHER
from server.config import Settings
from server.http import ratelimit
from tests.factories import PASSWORD, add_user, auth, client_with, signup


def _login(tenant: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return {"tenant": tenant, "email": email, "password": password}


async def _stored_hash(database_url: str, tenant_id: str, user_id: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        value = await conn.fetchval(
            "SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2",
            uuid.UUID(tenant_id),
            uuid.UUID(user_id),
        )
    finally:
        await conn.close()
    assert isinstance(value, str)
    return value


async def test_login_returns_tokens_and_user(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    email = tenant.admin["email"].upper()  # emails match case-insensitively
    response = await client.post("/v1/auth/login", json=_login(tenant.slug, email))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["refresh_token"].startswith(f"rt_{uuid.UUID(tenant.id).hex}_")
    assert body["user"]["id"] == tenant.admin["id"]
    me = await client.get("/v1/me", headers=auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["tenant"]["id"] == tenant.id


async def test_every_mismatch_is_the_same_401(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "member")
    gone = await client.request(
        "DELETE", f"/v1/users/{user['id']}", json={"reason": "left"}, headers=tenant.headers
    )
    assert gone.status_code == 200
    verified: list[str | None] = []
    real_verify = passwords.verify_password

    async def spy(stored: str | None, password: str) -> bool:
        verified.append(stored)
        return await real_verify(stored, password)

    monkeypatch.setattr(service, "verify_password", spy)
    cases = [
        _login("no-such-tenant-" + uuid.uuid4().hex[:8], tenant.admin["email"]),
        _login(tenant.slug, "nobody@example.test"),
        _login(tenant.slug, tenant.admin["email"], "Wrong-Password-42"),
        _login(tenant.slug, user["email"]),
    ]
    bodies = []
    for case in cases:
        response = await client.post("/v1/auth/login", json=case)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "invalid_credentials"
        bodies.append({k: v for k, v in problem.items() if k != "request_id"})
    assert all(b == bodies[0] for b in bodies)
    # One argon2 verification per attempt, against a dummy hash when there is no user,
    # so an unknown email takes about as long as a wrong password.
    assert len(verified) == len(cases)
    assert verified[0] is None and verified[1] is None
    assert verified[2] is not None and verified[3] is not None


async def test_stored_hashes_are_argon2id(client: httpx.AsyncClient, database_url: str) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "viewer")
    for user_id in (tenant.admin["id"], user["id"]):
        stored = await _stored_hash(database_url, tenant.id, user_id)
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in stored


async def test_login_rehashes_when_parameters_change(
    client: httpx.AsyncClient, database_url: str
) -> None:
    tenant = await signup(client)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2",
            uuid.UUID(tenant.id),
            uuid.UUID(tenant.admin["id"]),
            old,
        )
    finally:
        await conn.close()
    response = await client.post("/v1/auth/login", json=_login(tenant.slug, tenant.admin["email"]))
    assert response.status_code == 200
    stored = await _stored_hash(database_url, tenant.id, tenant.admin["id"])
    assert stored != old
    assert not HASHER.check_needs_rehash(stored)
    again = await client.post("/v1/auth/login", json=_login(tenant.slug, tenant.admin["email"]))
    assert again.status_code == 200


async def test_login_body_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/login", json={"tenant": 1, "extra": True})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"tenant", "extra", "email", "password"}


async def test_login_limit_per_tenant_and_email(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    async with client_with(settings, rate_limit_login="2/minute") as limited:
        for _ in range(2):
            ok = await limited.post(
                "/v1/auth/login", json=_login(tenant.slug, tenant.admin["email"])
            )
            assert ok.status_code == 200
        response = await limited.post(
            "/v1/auth/login", json=_login(tenant.slug, tenant.admin["email"].upper())
        )
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        # Another email of the same tenant has its own budget.
        other = await limited.post("/v1/auth/login", json=_login(tenant.slug, "x@y.test"))
        assert other.status_code == 401


async def test_the_login_limit_keys_on_the_email_as_postgresql_compares_it(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Two spellings share a per-account bucket exactly when the user lookup (PostgreSQL's
    ``lower``) takes them for one address. Python's ``lower`` disagrees with PostgreSQL's
    on some of these in any locale: dotted capital I (U+0130) is ``i`` to a UTF-8
    PostgreSQL and not to Python; É is é to Python and not to a C-locale PostgreSQL."""
    tenant = await signup(client)
    pairs = [("i", "\u0130"), ("\u00e9", "\u00c9")]
    conn = await asyncpg.connect(database_url)
    try:
        cases = []
        for plain, other in pairs:
            local = uuid.uuid4().hex[:8]
            first = f"{local}-{plain}@x.test"
            second = f"{local}-{other}@x.test"
            same = await conn.fetchval("SELECT lower($1) = lower($2)", first, second)
            cases.append((first, second, bool(same)))
    finally:
        await conn.close()
    assert any((a.lower() == b.lower()) != same for a, b, same in cases)
    async with client_with(settings, rate_limit_login="2/minute") as limited:
        for first, second, same in cases:
            for _ in range(2):
                response = await limited.post("/v1/auth/login", json=_login(tenant.slug, first))
                assert response.status_code == 401
            response = await limited.post("/v1/auth/login", json=_login(tenant.slug, second))
            assert response.status_code == (429 if same else 401), (first, second, same)


async def test_login_limit_per_address(client: httpx.AsyncClient, settings: Settings) -> None:
    tenant = await signup(client)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with client_with(settings, address=address, rate_limit_login_ip="3/minute") as limited:
        for i in range(3):
            response = await limited.post(
                "/v1/auth/login", json=_login(tenant.slug, f"user{i}@{tenant.slug}.test")
            )
            assert response.status_code == 401
        response = await limited.post("/v1/auth/login", json=_login(tenant.slug, "z@z.test"))
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1


async def test_login_fails_closed_without_redis(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await signup(client)
    real = ratelimit.Limiter

    def dead_limiter(settings: Settings, redis_url: str) -> ratelimit.Limiter:
        return real(settings, "redis://127.0.0.1:1/0")  # nothing listens on port 1

    monkeypatch.setattr("server.app.Limiter", dead_limiter)
    async with client_with(settings) as dead:
        response = await dead.post(
            "/v1/auth/login", json=_login(tenant.slug, tenant.admin["email"])
        )
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "service_unavailable"
        assert int(response.headers["retry-after"]) >= 1
        # Write limits fail open: the admin can still work.
        created = await dead.post(
            "/v1/users",
            json={"email": "w@w.test", "name": "W", "role": "member", "password": PASSWORD},
            headers=tenant.headers,
        )
        assert created.status_code == 201, created.text
