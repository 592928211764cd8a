"""Webhooks through a real ``python -m workers``: prompt, ordered, and never lost when the
worker is killed mid-delivery or Redis restarts."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from server.config import Settings
from server.db import Context, Database
from server.resources import service as resources
from server.resources.schemas import ResourceCreate
from tests.factories import Tenant, client_with, signup
from tests.receiver import Receiver, receiver
from tests.workers.conftest import StartWorker
from tests.workers.harness import PrivateRedis, eventually
from workers import jobs

FAST = {
    "BOOKING_WEBHOOK_ALLOW_PRIVATE": "1",
    "BOOKING_WEBHOOK_RETRY_SECONDS": "0.2",
    "BOOKING_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "BOOKING_DISPATCH_POLL_SECONDS": "0.1",
}


@pytest.fixture
async def hook_client(worker_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(worker_settings, webhook_allow_private=True) as client:
        yield client


@pytest.fixture
async def hook_server() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


async def register(client: httpx.AsyncClient, tenant: Tenant, url: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks", json={"url": url, "events": ["*"]}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_resource(client: httpx.AsyncClient, tenant: Tenant, name: str) -> int:
    response = await client.post(
        "/v1/resources", json={"name": name, "kind": "room"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    events = await client.get("/v1/events?since=0&limit=1000", headers=tenant.headers)
    return int(events.json()["seq"])


def seqs(found: Receiver) -> list[int]:
    return [int(json.loads(r.body)["seq"]) for r in found.received]


async def test_delivered_promptly_in_order(
    start_worker: StartWorker, hook_client: httpx.AsyncClient, hook_server: Receiver
) -> None:
    worker = await start_worker(**FAST)
    tenant = await signup(hook_client)
    other = await signup(hook_client)
    await register(hook_client, tenant, hook_server.url)
    await register(hook_client, other, hook_server.url.replace("/hook", "/other"))
    committed = time.monotonic()
    last = 0
    for n in range(5):
        last = await make_resource(hook_client, tenant, f"R{n}")
    other_seq = await make_resource(hook_client, other, "Elsewhere")

    async def all_arrived() -> bool:
        return len(hook_server.received) >= 6

    assert await eventually(all_arrived, within=10), worker.log()
    mine = [int(json.loads(body)["seq"]) for body in hook_server.bodies("/hook")]
    assert mine == list(range(last - 4, last + 1))
    assert [int(json.loads(body)["seq"]) for body in hook_server.bodies("/other")] == [other_seq]
    assert hook_server.received[0].at - committed < 3


async def test_kill_9_mid_delivery_sends_it_again_then_goes_on(
    start_worker: StartWorker, hook_client: httpx.AsyncClient, hook_server: Receiver
) -> None:
    hook_server.hold = asyncio.Event()
    worker = await start_worker(**FAST)
    tenant = await signup(hook_client)
    hook = await register(hook_client, tenant, hook_server.url)
    first = await make_resource(hook_client, tenant, "A")
    second = await make_resource(hook_client, tenant, "B")

    async def one_arrived() -> bool:
        return len(hook_server.received) == 1

    assert await eventually(one_arrived, within=10), worker.log()
    worker.kill()
    hook_server.hold.set()
    hook_server.hold = None
    await asyncio.sleep(0.5)
    assert len(hook_server.received) == 1

    replacement = await start_worker(**FAST)

    async def both_arrived() -> bool:
        return len(hook_server.received) >= 3

    assert await eventually(both_arrived, within=15), replacement.log()
    await asyncio.sleep(0.5)
    assert seqs(hook_server) == [first, first, second]
    ids = [r.headers["X-Booking-Delivery"] for r in hook_server.received]
    assert ids[0] == ids[1] != ids[2]
    log = await hook_client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    assert [(d["event_seq"], d["state"]) for d in log.json()] == [
        (second, "delivered"),
        (first, "delivered"),
    ]


async def test_events_committed_while_redis_is_down_are_delivered(
    start_worker: StartWorker,
    hook_client: httpx.AsyncClient,
    hook_server: Receiver,
    worker_settings: Settings,
    private_redis: PrivateRedis,
) -> None:
    worker = await start_worker(**FAST)
    tenant = await signup(hook_client)
    await register(hook_client, tenant, hook_server.url)
    private_redis.stop()
    db = await Database.connect(worker_settings, min_size=1)
    try:
        body = ResourceCreate(name="While Redis is down", kind="room")
        await db.run(
            Context(tenant_id=uuid.UUID(tenant.id)),
            lambda tx: resources.create_resource(tx, body),
        )
    finally:
        await db.close()
    await asyncio.sleep(1)
    private_redis.start()

    async def arrived() -> bool:
        return len(hook_server.received) == 1

    assert await eventually(arrived, within=30), worker.log()
    assert json.loads(hook_server.received[0].body)["data"]["name"] == "While Redis is down"


async def test_the_sweep_delivers_when_no_dispatcher_runs(
    hook_client: httpx.AsyncClient, hook_server: Receiver, worker_settings: Settings
) -> None:
    settings = msgspec.structs.replace(worker_settings, webhook_allow_private=True)
    tenant = await signup(hook_client)
    await register(hook_client, tenant, hook_server.url)
    seq = await make_resource(hook_client, tenant, "Swept")
    db = await Database.connect(settings, min_size=1)
    try:
        result = await jobs.sweep({"db": db, "settings": settings})
        cursor = await db.read(
            Context(tenant_id=uuid.UUID(tenant.id)),
            lambda tx: tx.fetchval("SELECT seq FROM mail_cursors"),
        )
    finally:
        await db.close()
    assert result["webhook_runs"] == 1
    assert seqs(hook_server) == [seq]
    assert cursor == seq  # and the events were looked at for mail
