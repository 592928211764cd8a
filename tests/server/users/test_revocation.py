"""Deactivating or re-roling a user stops their existing access tokens at once."""

import time
import uuid

import httpx

from server.auth.tokens import issue_access_token
from server.config import Settings
from tests.factories import PASSWORD, Tenant, add_user, auth, signup


def earlier_token(settings: Settings, tenant: Tenant, user: dict[str, str], role: str) -> str:
    """A token of ``user`` issued a few seconds ago (before any revocation below)."""
    return issue_access_token(
        settings,
        user_id=uuid.UUID(user["id"]),
        tenant_id=uuid.UUID(tenant.id),
        role=role,
        now=time.time() - 5,
    )


async def test_deactivation_revokes_access_tokens(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "member")
    token = earlier_token(settings, tenant, user, "member")
    assert (await client.get("/v1/me", headers=auth(token))).status_code == 200
    deleted = await client.request(
        "DELETE", f"/v1/users/{user['id']}", json={"reason": "left"}, headers=tenant.headers
    )
    assert deleted.status_code == 200
    after = await client.get("/v1/me", headers=auth(token))
    assert after.status_code == 401
    assert after.json()["code"] == "unauthorized"
    # Other users are untouched.
    assert (await client.get("/v1/me", headers=tenant.headers)).status_code == 200


async def test_role_change_revokes_tokens_and_a_new_login_gets_the_new_role(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "manager")
    token = earlier_token(settings, tenant, user, "manager")
    demoted = await client.patch(
        f"/v1/users/{user['id']}", json={"role": "viewer"}, headers=tenant.headers
    )
    assert demoted.status_code == 200
    stale = await client.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=auth(token)
    )
    assert stale.status_code == 401
    login = await client.post(
        "/v1/auth/login",
        json={"tenant": tenant.slug, "email": user["email"], "password": PASSWORD},
    )
    fresh = login.json()["access_token"]
    me = await client.get("/v1/me", headers=auth(fresh))
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "viewer"


async def test_renaming_keeps_tokens(client: httpx.AsyncClient, settings: Settings) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "member")
    token = earlier_token(settings, tenant, user, "member")
    renamed = await client.patch(
        f"/v1/users/{user['id']}", json={"name": "New Name"}, headers=tenant.headers
    )
    assert renamed.status_code == 200
    assert (await client.get("/v1/me", headers=auth(token))).status_code == 200
