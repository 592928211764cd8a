"""``serve`` believes X-Forwarded-For only from BOOKING_FORWARDED_ALLOW_IPS: behind the
proxy every client gets its own per-address login bucket, and nobody else can choose one."""

from __future__ import annotations

import uuid

import httpx

from server.config import Settings
from tests.cli import serving_async as _serve


async def _login(http: httpx.AsyncClient, forwarded_for: str) -> int:
    body = {"tenant": "no-such-tenant", "email": f"{uuid.uuid4().hex}@x.test", "password": "x"}
    response = await http.post(
        "/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


def _address() -> str:
    return f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


async def test_a_trusted_proxy_gives_each_client_its_own_bucket(settings: Settings) -> None:
    async with _serve(
        settings, BOOKING_FORWARDED_ALLOW_IPS="127.0.0.1", BOOKING_RATE_LIMIT_LOGIN_IP="2/minute"
    ) as http:
        first, second = _address(), _address()
        assert [await _login(http, first) for _ in range(3)] == [401, 401, 429]
        assert await _login(http, second) == 401


async def test_an_untrusted_peer_cannot_choose_its_address(settings: Settings) -> None:
    async with _serve(
        settings,
        BOOKING_FORWARDED_ALLOW_IPS="10.255.255.1",
        BOOKING_RATE_LIMIT_LOGIN_IP="2/minute",
    ) as http:
        # Every request counts against 127.0.0.1, whatever X-Forwarded-For says.
        statuses = [await _login(http, _address()) for _ in range(3)]
        assert statuses[-1] == 429
