"""Tenants, resources and bookings made through the API, as a real client would."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import aiohttp

from bench.clients import Reply, gather_bounded, request

PASSWORD = "Bench-pass-2026!"
SETUP_CONCURRENCY = 16
# A setup request answered 503 (CONTRACT.md: try again shortly) is sent again, this often.
SETUP_RETRIES = 5
SETUP_RETRY_PAUSE = 0.5


class SetupError(RuntimeError):
    """The server refused something the benchmark needs before it can start."""


@dataclass(slots=True)
class Tenant:
    id: UUID
    slug: str
    token: str
    user_id: str
    resources: list[str] = field(default_factory=list)


def run_tag() -> str:
    return secrets.token_hex(3)


def _ok(what: str, status: int, body: Any, expected: int = 201) -> Any:
    if status != expected:
        raise SetupError(f"{what}: HTTP {status} {body!r}"[:500])
    return body


async def _setup_request(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> Reply:
    """``request``, sent again after a pause while the server answers 503 (a Redis or pool
    timeout on a loaded machine), at most ``SETUP_RETRIES`` times."""
    for _ in range(SETUP_RETRIES):
        reply = await request(http, method, url, **kwargs)
        if reply.status != 503:
            return reply
        await asyncio.sleep(SETUP_RETRY_PAUSE)
    return await request(http, method, url, **kwargs)


async def make_tenant(http: aiohttp.ClientSession, url: str, slug: str) -> Tenant:
    admin = {"email": f"admin@{slug}.test", "name": "Bench admin", "password": PASSWORD}
    body = {"name": f"Bench {slug}", "slug": slug, "admin": admin}
    reply = await _setup_request(http, "POST", f"{url}/v1/tenants", body=body)
    data = _ok(f"signup {slug}", reply.status, reply.body)
    return Tenant(
        id=UUID(data["tenant"]["id"]),
        slug=slug,
        token=data["access_token"],
        user_id=data["user"]["id"],
    )


async def add_resources(
    http: aiohttp.ClientSession, url: str, tenant: Tenant, count: int, prefix: str = "room"
) -> list[str]:
    async def one(index: int) -> str:
        body = {"name": f"{prefix} {index:04d}", "kind": "room"}
        reply = await _setup_request(
            http, "POST", f"{url}/v1/resources", token=tenant.token, body=body
        )
        return str(_ok("create resource", reply.status, reply.body)["id"])

    made = await gather_bounded(SETUP_CONCURRENCY, [one(i) for i in range(count)])
    tenant.resources.extend(made)
    return made


async def make_tenants(
    http: aiohttp.ClientSession, urls: list[str], tenants: int, resources: int, tag: str
) -> list[Tenant]:
    """``tenants`` new tenants with ``resources`` resources each, spread over the servers."""
    made = await gather_bounded(
        SETUP_CONCURRENCY,
        [make_tenant(http, urls[i % len(urls)], f"bench-{tag}-{i}") for i in range(tenants)],
    )
    await gather_bounded(
        SETUP_CONCURRENCY,
        [add_resources(http, urls[i % len(urls)], t, resources) for i, t in enumerate(made)],
    )
    return made


async def event_head(http: aiohttp.ClientSession, url: str, tenant: Tenant) -> int:
    """The tenant's latest committed ``seq`` (``GET /v1/events``)."""
    reply = await request(http, "GET", f"{url}/v1/events?since=0&limit=1", token=tenant.token)
    return int(_ok("event head", reply.status, reply.body, 200)["seq"])
