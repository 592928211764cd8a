"""Signup creates a tenant and its admin atomically; closed signup needs the platform token."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from server.config import Settings, load_settings
from tests.factories import PASSWORD, client_with, signup

PLATFORM_TOKEN = "platform-token-for-tests-0123456789"


def _body(slug: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "name": "Acme",
        "slug": slug,
        "timezone": "Europe/Berlin",
        "admin": {"email": f"boss@{slug}.test", "name": "Boss", "password": password},
    }


def _slug() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


async def test_signup_creates_tenant_and_admin(client: httpx.AsyncClient) -> None:
    slug = _slug()
    response = await client.post("/v1/tenants", json=_body(slug))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "tenant",
        "user",
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    assert body["tenant"]["slug"] == slug
    assert body["tenant"]["timezone"] == "Europe/Berlin"
    assert body["user"]["role"] == "admin"
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["tenant"]["id"] == body["tenant"]["id"]


async def test_slug_taken_and_invalid(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    taken = await client.post("/v1/tenants", json=_body(tenant.slug))
    assert taken.status_code == 409
    assert taken.json()["code"] == "slug_taken"
    for bad in ("ab", "-abc", "Upper-case", "x" * 41, "under_score"):
        response = await client.post("/v1/tenants", json=_body(bad))
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "slug"


async def test_bad_zone_is_listed_with_the_other_bad_fields(client: httpx.AsyncClient) -> None:
    body = {"name": "", "slug": _slug(), "timezone": "Mars/Base", "admin": {"email": "x"}}
    response = await client.post("/v1/tenants", json=body)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"name", "timezone", "admin.email", "admin.name", "admin.password"}


async def test_weak_admin_password_creates_nothing(client: httpx.AsyncClient) -> None:
    slug = _slug()
    weak = await client.post("/v1/tenants", json=_body(slug, password="password"))
    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"
    assert weak.json()["errors"] == [{"field": "admin.password", "message": "too weak"}]
    assert (await client.post("/v1/tenants", json=_body(slug))).status_code == 201


async def test_closed_signup_needs_the_platform_token(settings: Settings) -> None:
    async with client_with(settings, signup="closed", platform_token=PLATFORM_TOKEN) as closed:
        for headers in ({}, {"X-Platform-Token": "wrong-token-0123456789"}):
            response = await closed.post("/v1/tenants", json=_body(_slug()), headers=headers)
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
        response = await closed.post(
            "/v1/tenants", json=_body(_slug()), headers={"X-Platform-Token": PLATFORM_TOKEN}
        )
        assert response.status_code == 201, response.text


async def test_closed_signup_without_a_configured_token_refuses_all(settings: Settings) -> None:
    async with client_with(settings, signup="closed") as closed:
        response = await closed.post(
            "/v1/tenants", json=_body(_slug()), headers={"X-Platform-Token": "anything-at-all"}
        )
        assert response.status_code == 403


def test_signup_is_closed_by_default() -> None:
    assert load_settings({}).signup == "closed"


async def test_default_settings_refuse_signup_without_the_platform_token(
    settings: Settings,
) -> None:
    defaults = load_settings(
        {},
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        jwt_secret=settings.jwt_secret,
    )
    async with client_with(defaults) as closed:
        response = await closed.post("/v1/tenants", json=_body(_slug()))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


async def test_signup_is_limited_per_client_address(settings: Settings) -> None:
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with client_with(settings, address=address, rate_limit_signup="2/hour") as limited:
        for _ in range(2):
            response = await limited.post("/v1/tenants", json=_body(_slug()))
            assert response.status_code == 201, response.text
        response = await limited.post("/v1/tenants", json=_body(_slug()))
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert int(response.headers["retry-after"]) >= 1
    other = f"10.8.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with client_with(settings, address=other, rate_limit_signup="2/hour") as elsewhere:
        assert (await elsewhere.post("/v1/tenants", json=_body(_slug()))).status_code == 201
