"""Deliveries to a real local HTTP receiver, driven in process one attempt at a time."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import msgspec
import pytest

from server.config import Settings
from server.db import Context, Database
from server.webhooks import delivery, sender
from tests.factories import Tenant, signup
from tests.receiver import Answer, Receiver, receiver


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        webhook_allow_private=True,
        webhook_retry_seconds=0.2,
        webhook_retry_max_seconds=1.0,
        webhook_timeout_seconds=1.0,
    )


@pytest.fixture
async def hook_server() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with sender.client() as client:
        yield client


async def register(
    client: httpx.AsyncClient, tenant: Tenant, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks", json={"url": url, "events": events or ["*"]}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_resource(client: httpx.AsyncClient, tenant: Tenant, name: str = "Room") -> str:
    response = await client.post(
        "/v1/resources", json={"name": name, "kind": "room"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def once(
    db: Database,
    settings: Settings,
    http: aiohttp.ClientSession,
    tenant: Tenant,
    hook: dict[str, Any],
    batch: int = delivery.BATCH,
) -> str:
    """One run (one transaction) of the webhook's deliveries; what stopped it."""
    ctx = Context(tenant_id=uuid.UUID(tenant.id))
    webhook_id = uuid.UUID(hook["id"])
    return await db.run(
        ctx, lambda tx: delivery.attempt(tx, settings, http, webhook_id, batch=batch)
    )


async def drain(
    db: Database,
    settings: Settings,
    http: aiohttp.ClientSession,
    tenant: Tenant,
    hook: dict[str, Any],
) -> int:
    return await delivery.drain(
        db,
        settings,
        http,
        uuid.UUID(tenant.id),
        uuid.UUID(hook["id"]),
        deadline=time.monotonic() + 10,
    )


async def deliveries(
    client: httpx.AsyncClient, tenant: Tenant, hook: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_signed_socket_payload_in_seq_order(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    await make_resource(local_client, tenant, "A")
    await make_resource(local_client, tenant, "B")
    assert await once(db, fast, http, tenant, hook, batch=1) == "more"
    assert len(hook_server.received) == 1
    assert await drain(db, fast, http, tenant, hook) == 1
    events = (await local_client.get("/v1/events?since=0", headers=tenant.headers)).json()
    wanted = [e for e in events["events"] if e["type"] == "resource.created"]
    assert len(hook_server.received) == 2
    for got, event in zip(hook_server.received, wanted, strict=True):
        assert json.loads(got.body) == event
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["X-Booking-Event"] == "resource.created"
        uuid.UUID(got.headers["X-Booking-Delivery"])
        expected = hmac.new(hook["secret"].encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Booking-Signature"] == f"sha256={expected}"
    seqs = [json.loads(r.body)["seq"] for r in hook_server.received]
    assert seqs == sorted(seqs)
    log = await deliveries(local_client, tenant, hook)
    assert [d["event_seq"] for d in log] == sorted(seqs, reverse=True)
    assert all(d["state"] == "delivered" and d["attempts"] == 1 for d in log)
    assert all(d["last_status"] == 200 and d["delivered_at"] for d in log)
    assert {d["id"] for d in log} == {r.headers["X-Booking-Delivery"] for r in hook_server.received}
    # Caught up: nothing more to send.
    assert await once(db, fast, http, tenant, hook) == "idle"


async def test_failures_back_off_and_block_later_events(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    hook_server.script = [Answer(500, b"busy"), Answer(503, b"still busy")]
    await make_resource(local_client, tenant, "A")
    await make_resource(local_client, tenant, "B")

    assert await once(db, fast, http, tenant, hook) == "retry"
    [first] = await deliveries(local_client, tenant, hook)
    assert (first["state"], first["attempts"], first["last_status"]) == ("pending", 1, 500)
    assert first["response_excerpt"] == "busy" and first["next_attempt_at"]
    # The retry is not due yet, and the second event waits behind the first.
    assert await once(db, fast, http, tenant, hook) == "waiting"
    assert len(hook_server.received) == 1

    for _ in range(50):
        await asyncio.sleep(0.1)
        await drain(db, fast, http, tenant, hook)
        if len(hook_server.received) >= 4:
            break
    bodies = [json.loads(r.body)["seq"] for r in hook_server.received]
    assert len(bodies) == 4
    assert bodies[0] == bodies[1] == bodies[2] < bodies[3]
    ids = [r.headers["X-Booking-Delivery"] for r in hook_server.received]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    gaps = [
        b.at - a.at
        for a, b in zip(hook_server.received[:2], hook_server.received[1:3], strict=True)
    ]
    assert gaps[0] >= 0.2 * 0.9 and gaps[1] >= 0.4 * 0.9  # 0.2 s, then doubled
    log = await deliveries(local_client, tenant, hook)
    assert [(d["state"], d["attempts"], d["last_status"]) for d in log] == [
        ("delivered", 1, 200),
        ("delivered", 3, 200),
    ]


def test_backoff_doubles_to_the_cap_and_runs_a_day_by_default(settings: Settings) -> None:
    backoff = delivery.Backoff.from_settings(settings)
    delays = [backoff.delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80]
    assert delays[-1] == 3600 and delays == sorted(delays)
    assert backoff.give_up.total_seconds() >= 24 * 3600
    assert settings.webhook_timeout_seconds == 10


async def test_given_up_after_the_deadline_then_the_next_event_goes(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    config = msgspec.structs.replace(fast, webhook_give_up_seconds=0.5)
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    hook_server.default = Answer(500, b"down")
    await make_resource(local_client, tenant, "A")
    assert await once(db, config, http, tenant, hook) == "retry"
    await asyncio.sleep(0.6)
    assert await once(db, config, http, tenant, hook) == "more"  # given up, the cursor moved on
    hook_server.default = Answer(204, b"")
    await make_resource(local_client, tenant, "B")
    assert await drain(db, config, http, tenant, hook) == 1
    log = await deliveries(local_client, tenant, hook)
    assert [(d["state"], d["attempts"], d["last_status"]) for d in log] == [
        ("delivered", 1, 204),
        ("failed", 2, 500),
    ]
    assert log[1]["delivered_at"] is None


async def test_no_answer_in_time_is_a_failed_attempt(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    config = msgspec.structs.replace(fast, webhook_timeout_seconds=0.3)
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    hook_server.script = [Answer(200, b"late", delay=2)]
    await make_resource(local_client, tenant)
    started = time.monotonic()
    assert await once(db, config, http, tenant, hook) == "retry"
    assert time.monotonic() - started < 1.5
    [entry] = await deliveries(local_client, tenant, hook)
    assert entry["last_status"] is None
    assert "no answer within 0.3 s" in entry["last_error"]


async def test_redirects_are_not_followed_and_bodies_are_cut_short(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    elsewhere = hook_server.url.replace("/hook", "/elsewhere")
    hook_server.script = [
        Answer(307, b"moved", headers={"Location": elsewhere}),
        Answer(500, b"x" * 5000),
    ]
    await make_resource(local_client, tenant)
    assert await once(db, fast, http, tenant, hook) == "retry"
    assert [r.path for r in hook_server.received] == ["/hook"]
    [entry] = await deliveries(local_client, tenant, hook)
    assert (entry["last_status"], entry["state"]) == (307, "pending")
    await asyncio.sleep(0.25)
    assert await once(db, fast, http, tenant, hook) == "retry"
    [entry] = await deliveries(local_client, tenant, hook)
    assert entry["last_status"] == 500
    assert entry["response_excerpt"] == "x" * 1024


async def test_private_target_refused_again_at_send_time(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    strict = msgspec.structs.replace(fast, webhook_allow_private=False)
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    await make_resource(local_client, tenant)
    assert await once(db, strict, http, tenant, hook) == "retry"
    assert hook_server.received == []
    [entry] = await deliveries(local_client, tenant, hook)
    assert entry["last_status"] is None
    assert entry["last_error"].startswith("refused: must not point at a loopback")


async def test_only_subscribed_events_and_the_cursor_skips_the_rest(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url, ["resource.updated"])
    resource = await make_resource(local_client, tenant)
    assert await once(db, fast, http, tenant, hook) == "idle"
    assert (uuid.UUID(tenant.id), uuid.UUID(hook["id"])) not in await delivery.backlog(
        db, limit=10_000
    )
    patched = await local_client.patch(
        f"/v1/resources/{resource}", json={"name": "Renamed"}, headers=tenant.headers
    )
    assert patched.status_code == 200, patched.text
    await make_resource(local_client, tenant, "Later")
    assert (uuid.UUID(tenant.id), uuid.UUID(hook["id"])) in await delivery.backlog(db, limit=10_000)
    assert await drain(db, fast, http, tenant, hook) == 1
    assert [r.headers["X-Booking-Event"] for r in hook_server.received] == ["resource.updated"]
    assert await once(db, fast, http, tenant, hook) == "idle"
    assert (uuid.UUID(tenant.id), uuid.UUID(hook["id"])) not in await delivery.backlog(
        db, limit=10_000
    )


async def test_a_deleted_webhook_gets_nothing_more(
    local_client: httpx.AsyncClient,
    db: Database,
    fast: Settings,
    http: aiohttp.ClientSession,
    hook_server: Receiver,
) -> None:
    tenant = await signup(local_client)
    hook = await register(local_client, tenant, hook_server.url)
    await make_resource(local_client, tenant)
    deleted = await local_client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant.headers)
    assert deleted.status_code == 204
    assert await once(db, fast, http, tenant, hook) == "busy"
    assert hook_server.received == []
