"""Refresh tokens rotate on every use; a reused one revokes its whole login family."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from server.auth.opaque import digest as token_hash
from server.config import Settings
from tests.factories import PASSWORD, add_user, auth, client_with, signup


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def _login(client: httpx.AsyncClient, slug: str, email: str) -> dict[str, str]:
    response = await client.post(
        "/v1/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    session: dict[str, str] = response.json()
    return session


async def _sql(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _age_use(database_url: str, token: str, seconds: int) -> None:
    """Pretend ``token`` was used ``seconds`` ago (beyond the grace)."""
    await _sql(
        database_url,
        "UPDATE refresh_tokens SET used_at = now() - make_interval(secs => $2)"
        " WHERE token_hash = $1",
        token_hash(token),
        float(seconds),
    )


async def test_refresh_rotates(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    first = await _refresh(client, tenant.refresh_token)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["refresh_token"] != tenant.refresh_token
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == tenant.admin["id"]
    assert (await client.get("/v1/me", headers=auth(body["access_token"]))).status_code == 200
    second = await _refresh(client, body["refresh_token"])
    assert second.status_code == 200


async def test_reuse_after_grace_revokes_the_family(
    client: httpx.AsyncClient, database_url: str
) -> None:
    tenant = await signup(client)
    rotated = (await _refresh(client, tenant.refresh_token)).json()
    newest = (await _refresh(client, rotated["refresh_token"])).json()["refresh_token"]
    await _age_use(database_url, tenant.refresh_token, 60)
    reused = await _refresh(client, tenant.refresh_token)
    assert reused.status_code == 401
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "token_reused"
    rows = await _sql(
        database_url,
        "SELECT revoked_at FROM refresh_tokens WHERE tenant_id = $1",
        uuid.UUID(tenant.id),
    )
    assert len(rows) == 3 and all(r["revoked_at"] is not None for r in rows)
    # The newest token, never used, is revoked too: plain unauthorized.
    response = await _refresh(client, newest)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    # A used and revoked token presented again is still a reuse.
    again = await _refresh(client, rotated["refresh_token"])
    assert again.json()["code"] == "token_reused"


async def test_concurrent_refresh_inside_grace(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    responses = await asyncio.gather(*(_refresh(client, tenant.refresh_token) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    tokens = {r.json()["refresh_token"] for r in responses}
    assert len(tokens) == 4
    # Nobody was logged out: every new token of the family still works.
    for token in tokens:
        assert (await _refresh(client, token)).status_code == 200


async def test_other_tokens_of_the_user_survive_a_reuse(
    client: httpx.AsyncClient, database_url: str
) -> None:
    tenant = await signup(client)
    login = await client.post(
        "/v1/auth/login",
        json={
            "tenant": tenant.slug,
            "email": tenant.admin["email"],
            "password": "Correct-Horse-42",
        },
    )
    other_family = login.json()["refresh_token"]
    await _refresh(client, tenant.refresh_token)
    await _age_use(database_url, tenant.refresh_token, 60)
    assert (await _refresh(client, tenant.refresh_token)).json()["code"] == "token_reused"
    assert (await _refresh(client, other_family)).status_code == 200


async def test_expired_garbage_and_foreign_tokens(
    client: httpx.AsyncClient, database_url: str
) -> None:
    tenant = await signup(client)
    await _sql(
        database_url,
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        token_hash(tenant.refresh_token),
    )
    other = await signup(client)
    forged = f"rt_{uuid.UUID(other.id).hex}_{tenant.refresh_token.rsplit('_', 1)[1]}"
    for token in (tenant.refresh_token, "nope", "rt_zz_abc", f"rt_{uuid.uuid4().hex}_x", forged):
        response = await _refresh(client, token)
        assert response.status_code == 401, token
        assert response.json()["code"] == "unauthorized"


async def test_deactivated_user_cannot_refresh(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "member")
    login = await client.post(
        "/v1/auth/login",
        json={"tenant": tenant.slug, "email": user["email"], "password": "Correct-Horse-42"},
    )
    token = login.json()["refresh_token"]
    gone = await client.request(
        "DELETE", f"/v1/users/{user['id']}", json={"reason": "left"}, headers=tenant.headers
    )
    assert gone.status_code == 200
    response = await _refresh(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_logout_revokes_the_family(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    rotated = (await _refresh(client, tenant.refresh_token)).json()
    out = await client.post(
        "/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}, headers=tenant.headers
    )
    assert out.status_code == 204
    assert out.content == b""
    response = await _refresh(client, rotated["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    # Logout also ended the access token it was called with.
    ended = await client.get("/v1/me", headers=tenant.headers)
    assert ended.status_code == 401
    assert (await client.get("/v1/me", headers=auth(rotated["access_token"]))).status_code == 200
    # Unknown tokens are accepted silently (nothing to revoke).
    for token in ("nope", f"rt_{uuid.UUID(tenant.id).hex}_unknown"):
        session = await _login(client, tenant.slug, tenant.admin["email"])
        out = await client.post(
            "/v1/auth/logout", json={"refresh_token": token}, headers=auth(session["access_token"])
        )
        assert out.status_code == 204
    # Logout needs an access token.
    anonymous = await client.post("/v1/auth/logout", json={"refresh_token": "nope"})
    assert anonymous.status_code == 401


async def test_logout_cannot_revoke_someone_elses_tokens(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    _, member_token = await add_user(client, tenant, "member")
    out = await client.post(
        "/v1/auth/logout",
        json={"refresh_token": tenant.refresh_token},
        headers=auth(member_token),
    )
    assert out.status_code == 204
    assert (await _refresh(client, tenant.refresh_token)).status_code == 200


async def test_reuse_racing_a_refresh_leaves_no_live_token(
    settings: Settings, database_url: str
) -> None:
    """A reused token and the family's current one presented at the same moment: if the
    current one wins a new pair, the reuse's revocation must still reach that pair."""
    async with client_with(settings, refresh_reuse_grace=0.0) as client:
        tenant = await signup(client)
        old, current = tenant.refresh_token, (await _refresh(client, tenant.refresh_token))
        current_token = current.json()["refresh_token"]
        survivors = 0
        for _ in range(20):
            reuse, fresh = await asyncio.gather(
                _refresh(client, old), _refresh(client, current_token)
            )
            assert reuse.status_code == 401
            if fresh.status_code == 200:
                # Whichever committed first, the new pair's family is revoked by now.
                again = await _refresh(client, fresh.json()["refresh_token"])
                survivors += again.status_code == 200
            live = await _sql(
                database_url,
                "SELECT count(*) AS n FROM refresh_tokens WHERE tenant_id = $1"
                " AND revoked_at IS NULL AND used_at IS NULL",
                uuid.UUID(tenant.id),
            )
            assert live[0]["n"] == 0
            assert survivors == 0
            # A new family for the next round.
            session = await _login(client, tenant.slug, tenant.admin["email"])
            old = session["refresh_token"]
            rotated = await _refresh(client, old)
            current_token = rotated.json()["refresh_token"]


async def test_refresh_is_limited_per_client_address(settings: Settings) -> None:
    address = f"10.7.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with client_with(settings, address=address, rate_limit_refresh="2/minute") as limited:
        tenant = await signup(limited)
        token = tenant.refresh_token
        for _ in range(2):
            response = await _refresh(limited, token)
            assert response.status_code == 200
            token = response.json()["refresh_token"]
        response = await _refresh(limited, token)
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert int(response.headers["retry-after"]) >= 1
