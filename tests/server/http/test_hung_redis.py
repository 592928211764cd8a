"""A Redis that accepts connections but never answers costs a request a bounded time:
writes go through (limits fail open), login fails closed with 503, and a revocation
whose Redis write was lost still holds (it lives in PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import msgspec

from server.auth.tokens import issue_access_token
from server.config import Settings
from tests.factories import PASSWORD, add_user, auth, client_with, signup
from tests.hungredis import hung_redis

# Every Redis call on the write path gives up within BOOKING_REDIS_TIMEOUT (0.25 s).
BOUND = 1.5


async def _timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await asyncio.wait_for(request, 10)  # type: ignore[arg-type]
    return response, time.monotonic() - started


async def test_writes_pass_and_login_fails_closed_within_a_bound(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    resource = await client.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=tenant.headers
    )
    assert resource.status_code == 201
    async with (
        hung_redis() as url,
        client_with(msgspec.structs.replace(settings, redis_url=url)) as hung,
    ):
        created, took = await _timed(
            hung.post(
                "/v1/bookings",
                json={
                    "resource_id": resource.json()["id"],
                    "start": "2031-03-01T09:00:00Z",
                    "end": "2031-03-01T10:00:00Z",
                },
                headers=tenant.headers,
            )
        )
        assert created.status_code == 201, created.text
        assert took < BOUND
        login, took = await _timed(
            hung.post(
                "/v1/auth/login",
                json={"tenant": tenant.slug, "email": tenant.admin["email"], "password": PASSWORD},
            )
        )
        assert login.status_code == 503
        assert login.json()["code"] == "service_unavailable"
        assert int(login.headers["retry-after"]) >= 1
        assert took < BOUND
        read, took = await _timed(hung.get("/v1/resources", headers=tenant.headers))
        assert read.status_code == 200
        assert took < BOUND


async def test_a_demotion_holds_when_its_redis_write_is_lost(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "manager")
    old = issue_access_token(
        settings,
        user_id=uuid.UUID(user["id"]),
        tenant_id=uuid.UUID(tenant.id),
        role="manager",
        now=time.time() - 5,
    )
    # The demotion goes through a process whose Redis never answers: its cache write is lost.
    async with (
        hung_redis() as url,
        client_with(msgspec.structs.replace(settings, redis_url=url)) as hung,
    ):
        demoted = await hung.patch(
            f"/v1/users/{user['id']}", json={"role": "member"}, headers=tenant.headers
        )
        assert demoted.status_code == 200
    stale = await client.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=auth(old)
    )
    assert stale.status_code == 401


async def test_a_stale_cached_cut_off_lasts_at_most_the_cache_lifetime(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client)
    user, _ = await add_user(client, tenant, "manager")
    old = issue_access_token(
        settings,
        user_id=uuid.UUID(user["id"]),
        tenant_id=uuid.UUID(tenant.id),
        role="manager",
        now=time.time() - 5,
    )
    async with client_with(settings, revocation_cache_seconds=1) as short:
        assert (await short.get("/v1/me", headers=auth(old))).status_code == 200  # cached
        async with (
            hung_redis() as url,
            client_with(msgspec.structs.replace(settings, redis_url=url)) as hung,
        ):
            demoted = await hung.patch(
                f"/v1/users/{user['id']}", json={"role": "member"}, headers=tenant.headers
            )
            assert demoted.status_code == 200
        await asyncio.sleep(1.2)
        assert (await short.get("/v1/me", headers=auth(old))).status_code == 401
