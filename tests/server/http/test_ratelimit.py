"""Writes are limited per user: 429 ``rate_limited`` with ``Retry-After``."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from server.config import Settings
from tests.factories import PASSWORD, add_user, auth, client_with, signup


async def test_writes_are_limited_per_user(settings: Settings) -> None:
    async with client_with(settings, rate_limit_write="3/minute") as limited:
        tenant = await signup(limited)
        statuses = []
        for _ in range(4):
            response = await limited.post(
                "/v1/users",
                json={
                    "email": f"{uuid.uuid4().hex[:8]}@x.test",
                    "name": "N",
                    "role": "viewer",
                    "password": PASSWORD,
                },
                headers=tenant.headers,
            )
            statuses.append(response.status_code)
        assert statuses == [201, 201, 201, 429]
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "rate_limited"
        assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_limits_are_per_user(settings: Settings, client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    _, other = await add_user(client, tenant, "viewer")
    async with client_with(settings, rate_limit_write="1/minute") as limited:
        body = {"refresh_token": "rt_unknown_x"}
        resource = {"name": "Room", "kind": "room"}
        first = await limited.post("/v1/resources", json=resource, headers=tenant.headers)
        assert first.status_code == 201
        second = await limited.post("/v1/resources", json=resource, headers=tenant.headers)
        assert second.status_code == 429
        assert (
            await limited.post("/v1/auth/logout", json=body, headers=auth(other))
        ).status_code == 204
        # Reads are not write-limited.
        assert (await limited.get("/v1/me", headers=tenant.headers)).status_code == 200


async def test_an_authenticated_write_costs_one_redis_round_trip(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revocation check reads its keys inside the read or write limit's script."""
    async with client_with(settings, rate_limit_write="100/minute") as limited:
        tenant = await signup(limited)
        me = asyncio.current_task()
        sent: list[str] = []
        original = Redis.execute_command

        async def counted(self: Redis, *args: Any, **kwargs: Any) -> Any:
            if asyncio.current_task() is me:
                sent.append(str(args[0]))
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(Redis, "execute_command", counted)
        for name in ("warm", "measured"):  # the first call also loads the script
            sent.clear()
            response = await limited.post(
                "/v1/resources", json={"name": name, "kind": "room"}, headers=tenant.headers
            )
            assert response.status_code == 201, response.text
        assert sent == ["EVALSHA"]
        sent.clear()
        assert (await limited.get("/v1/me", headers=tenant.headers)).status_code == 200
        assert sent == ["EVALSHA"]  # reads: their own limit and the revocation keys
