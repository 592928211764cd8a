"""Accounts: password change and reset by email, logout, reactivation."""

from __future__ import annotations

import asyncio
import re
import uuid
from email import message_from_bytes
from typing import Any

import asyncpg
import httpx

from server.config import Settings
from tests.factories import PASSWORD, Tenant, add_user, auth, client_with, signup
from tests.smtpsink import Sink, smtp_sink

NEW_PASSWORD = "Battery-Staple-77"


async def _login(client: httpx.AsyncClient, tenant: Tenant, email: str, password: str) -> Any:
    return await client.post(
        "/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": password}
    )


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def test_password_change_ends_the_other_sessions_only(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    email = tenant.admin["email"]
    other = (await _login(client, tenant, email, PASSWORD)).json()
    wrong = await client.post(
        "/v1/auth/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=tenant.headers,
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    weak = await client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=tenant.headers,
    )
    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"
    assert weak.json()["errors"][0]["field"] == "new_password"
    changed = await client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=tenant.headers,
    )
    assert changed.status_code == 204, changed.text
    # The caller's session goes on: its access and refresh tokens still work.
    assert (await client.get("/v1/me", headers=tenant.headers)).status_code == 200
    assert (await _refresh(client, tenant.refresh_token)).status_code == 200
    # The other session's refresh token is revoked.
    assert (await _refresh(client, other["refresh_token"])).status_code == 401
    assert (await _login(client, tenant, email, PASSWORD)).status_code == 401
    assert (await _login(client, tenant, email, NEW_PASSWORD)).status_code == 200


async def _reset_mail(sink: Sink, count: int) -> str:
    async with asyncio.timeout(10):
        while len(sink.accepted) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    message = message_from_bytes(sink.accepted[count - 1].content)
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"pr_[0-9a-f]{32}_[A-Za-z0-9_-]+", body.decode())
    assert found is not None
    return found.group(0)


async def test_password_reset_by_email(settings: Settings, database_url: str) -> None:
    with smtp_sink() as (smtp_url, sink):
        async with client_with(settings, smtp_url=smtp_url) as client:
            tenant = await signup(client)
            email = tenant.admin["email"]
            other = (await _login(client, tenant, email, PASSWORD)).json()
            # Unknown accounts get the same answer and no mail.
            for body in (
                {"tenant": tenant.slug, "email": "nobody@x.test"},
                {"tenant": "no-such-tenant", "email": email},
            ):
                unknown = await client.post("/v1/auth/password-reset", json=body)
                assert unknown.status_code == 202
            asked = await client.post(
                "/v1/auth/password-reset", json={"tenant": tenant.slug, "email": email.upper()}
            )
            assert asked.status_code == 202
            assert asked.json() == unknown.json()
            token = await _reset_mail(sink, 1)
            assert len(sink.accepted) == 1
            assert sink.accepted[0].rcpt_tos == [email]
            # Stored only as a hash.
            conn = await asyncpg.connect(database_url)
            try:
                stored = await conn.fetch(
                    "SELECT token_hash, expires_at - created_at AS ttl FROM password_reset_tokens"
                    " WHERE tenant_id = $1",
                    uuid.UUID(tenant.id),
                )
            finally:
                await conn.close()
            assert len(stored) == 1
            assert token.encode() not in bytes(stored[0]["token_hash"])
            assert stored[0]["ttl"].total_seconds() == 3600
            weak = await client.post(
                "/v1/auth/password-reset/confirm", json={"token": token, "password": "weak"}
            )
            assert weak.status_code == 422
            done = await client.post(
                "/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
            )
            assert done.status_code == 204, done.text
            # Every token of the user ended: access and refresh, of every session.
            assert (await client.get("/v1/me", headers=tenant.headers)).status_code == 401
            assert (
                await client.get("/v1/me", headers=auth(other["access_token"]))
            ).status_code == 401
            for refresh in (tenant.refresh_token, other["refresh_token"]):
                assert (await _refresh(client, refresh)).status_code == 401
            assert (await _login(client, tenant, email, PASSWORD)).status_code == 401
            fresh = await _login(client, tenant, email, NEW_PASSWORD)
            assert fresh.status_code == 200
            assert (
                await client.get("/v1/me", headers=auth(fresh.json()["access_token"]))
            ).status_code == 200
            # Single use.
            again = await client.post(
                "/v1/auth/password-reset/confirm", json={"token": token, "password": PASSWORD}
            )
            assert again.status_code == 400
            assert again.json()["code"] == "invalid_token"
            for junk in ("nope", f"pr_{uuid.UUID(tenant.id).hex}_unknown"):
                bad = await client.post(
                    "/v1/auth/password-reset/confirm", json={"token": junk, "password": PASSWORD}
                )
                assert bad.status_code == 400
                assert bad.json()["code"] == "invalid_token"


async def test_an_expired_reset_token_is_invalid(settings: Settings, database_url: str) -> None:
    with smtp_sink() as (smtp_url, sink):
        async with client_with(settings, smtp_url=smtp_url) as client:
            tenant = await signup(client)
            await client.post(
                "/v1/auth/password-reset",
                json={"tenant": tenant.slug, "email": tenant.admin["email"]},
            )
            token = await _reset_mail(sink, 1)
            conn = await asyncpg.connect(database_url)
            try:
                await conn.execute(
                    "UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'"
                    " WHERE tenant_id = $1",
                    uuid.UUID(tenant.id),
                )
            finally:
                await conn.close()
            late = await client.post(
                "/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
            )
            assert late.status_code == 400
            assert late.json()["code"] == "invalid_token"


async def test_reactivation(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "member")
    _, manager = await add_user(client, tenant, "manager")
    deleted = await client.request(
        "DELETE", f"/v1/users/{user['id']}", json={"reason": "left"}, headers=tenant.headers
    )
    assert deleted.json()["is_active"] is False
    assert (await _login(client, tenant, user["email"], PASSWORD)).status_code == 401
    back = await client.post(f"/v1/users/{user['id']}/reactivate", headers=tenant.headers)
    assert back.status_code == 200
    assert back.json()["is_active"] is True
    assert back.json()["deactivated_at"] is None
    assert back.json()["deactivation_reason"] is None
    assert (await _login(client, tenant, user["email"], PASSWORD)).status_code == 200
    forbidden = await client.post(f"/v1/users/{user['id']}/reactivate", headers=auth(manager))
    assert forbidden.status_code == 403
    for kind, body in (
        ("resources", {"name": "Room", "kind": "room"}),
        ("projects", {"name": "P"}),
    ):
        created = await client.post(f"/v1/{kind}", json=body, headers=auth(manager))
        entity = created.json()["id"]
        gone = await client.request(
            "DELETE", f"/v1/{kind}/{entity}", json={"reason": "x"}, headers=auth(manager)
        )
        assert gone.json()["is_active"] is False
        revived = await client.post(f"/v1/{kind}/{entity}/reactivate", headers=auth(manager))
        assert revived.status_code == 200, revived.text
        assert revived.json()["is_active"] is True
        assert revived.json()["deactivated_at"] is None
        missing = await client.post(f"/v1/{kind}/{uuid.uuid4()}/reactivate", headers=auth(manager))
        assert missing.status_code == 404
    audit = await client.get(
        f"/v1/audit?entity_type=user&entity_id={user['id']}", headers=tenant.headers
    )
    assert [e["action"] for e in audit.json()["items"]][-1] == "user.reactivated"
