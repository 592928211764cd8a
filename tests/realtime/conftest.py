"""A real server on a loopback port, with a database of its own, and real Socket.IO clients.

The realtime tests get their own database so that no other app started by the test
session competes for the relay's leadership there: a test can stop "the" relay.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import pytest
import socketio
import uvicorn

from realtime.hub import RealtimeApp
from server.app import create_app
from server.config import Settings
from server.db import Context, Database
from server.events import service as events
from tests.conftest import scratch_database
from tests.factories import PASSWORD, Tenant

WAIT = 10.0


@pytest.fixture(scope="session")
async def rt_database_url(services: tuple[str, str]) -> AsyncIterator[str]:
    async with scratch_database(services[0], "booking_rt") as url:
        yield url


@pytest.fixture(scope="session")
def rt_settings(settings: Settings, rt_database_url: str) -> Settings:
    return msgspec.structs.replace(
        settings,
        database_url=rt_database_url,
        heartbeat_seconds=0.5,
        relay_poll_seconds=0.2,
        sync_max_events=50,
    )


@dataclass
class LiveServer:
    url: str
    app: RealtimeApp
    http: httpx.AsyncClient


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
async def live(rt_settings: Settings) -> AsyncIterator[LiveServer]:
    app = create_app(rt_settings)
    assert isinstance(app, RealtimeApp)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        ws="websockets-sansio",
        ws_per_message_deflate=rt_settings.socket_compression,
        ws_max_size=rt_settings.socket_max_message_bytes + 1024,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            yield LiveServer(url=url, app=app, http=http)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)
        sock.close()


@pytest.fixture(scope="session")
async def rt_db(rt_settings: Settings) -> AsyncIterator[Database]:
    db = await Database.connect(rt_settings, min_size=1)
    yield db
    await db.close()


async def record_changes(db: Database, tenant_id: str, count: int = 1) -> list[int]:
    """Commit ``count`` changes of one tenant through the events service; their seqs."""
    seqs = []
    for _ in range(count):
        entity = uuid.uuid4()

        async def write(tx: Any, entity: uuid.UUID = entity) -> int:
            after = {"id": str(entity), "name": f"Room {entity.hex[:6]}", "kind": "room"}
            return await events.record(
                tx,
                type="resource.created",
                entity_type="resource",
                entity_id=entity,
                before=None,
                after=after,
            )

        seqs.append(await db.run(Context(tenant_id=uuid.UUID(tenant_id)), write))
    return seqs


async def eventually(check: Callable[[], bool], within: float = WAIT) -> None:
    """Wait until ``check()`` holds; it may read state no event signals (connected, …)."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@dataclass
class Client:
    """A ``socketio.AsyncClient`` that records every event it receives."""

    sio: socketio.AsyncClient
    received: list[tuple[str, Any]] = field(default_factory=list)

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    def seqs(self, prefix: str = "resource.") -> list[int]:
        return [data["seq"] for event, data in self.received if event.startswith(prefix)]

    async def wait_for(self, check: Callable[[], bool], within: float = WAIT) -> None:
        await eventually(check, within)

    async def call(self, event: str, data: Any = None, within: float = WAIT) -> Any:
        return await self.sio.call(event, data, timeout=within)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def connect(
    url: str, token: str | None, *, transports: list[str] | None = None, **auth: Any
) -> Client:
    sio = socketio.AsyncClient(reconnection=False)
    client = Client(sio)

    async def record(event: str, *args: Any) -> None:
        client.received.append((event, args[0] if len(args) == 1 else list(args)))

    sio.on("*", record)
    body = {"token": token, **auth} if token is not None else auth
    await sio.connect(
        url,
        auth=body,
        transports=transports or ["websocket"],
        wait_timeout=WAIT,
        retry=False,
    )
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    """Clients a test opened; all disconnected at the end, whatever happened."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.close()


class Mirror:
    """What a dashboard does: apply events by ``seq``, drop duplicates, ``sync`` on a gap.

    ``applied`` is the seqs applied, in order; a gap (an event or heartbeat ahead of
    what was applied) triggers a ``sync`` that fills it from the events table.
    """

    def __init__(self, client: Client, since: int = 0) -> None:
        self.client = client
        self.seq = since
        self.applied: list[int] = []
        self.syncs = 0
        self._lock = asyncio.Lock()
        client.sio.on("heartbeat", self._on_heartbeat)
        client.sio.on("*", self._on_event)

    async def _on_event(self, event: str, data: Any) -> None:
        self.client.received.append((event, data))
        if isinstance(data, dict) and isinstance(data.get("seq"), int):
            await self._advance(data["seq"], [data])

    async def _on_heartbeat(self, data: Any) -> None:
        self.client.received.append(("heartbeat", data))
        await self._advance(data["seq"], [])

    async def _advance(self, seq: int, events: list[dict[str, Any]]) -> None:
        async with self._lock:
            if seq <= self.seq:
                return
            if events and seq == self.seq + 1:
                self._apply(events)
                return
            await self.catch_up()

    async def catch_up(self) -> None:
        for _ in range(100):
            self.syncs += 1
            page = await self.client.sio.call("sync", {"since": self.seq}, timeout=WAIT)
            self._apply(page["events"])
            if self.seq >= page["seq"] or not page["events"]:
                return

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["seq"] == self.seq + 1:
                self.applied.append(event["seq"])
                self.seq = event["seq"]


async def mirror(url: str, token: str, since: int = 0) -> Mirror:
    """A connected client keeping a Mirror; events are applied as they arrive."""
    sio = socketio.AsyncClient(reconnection=False)
    m = Mirror(Client(sio), since)
    await sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=WAIT)
    return m


async def add_member(http: httpx.AsyncClient, tenant: Tenant) -> tuple[dict[str, Any], str]:
    """A member of ``tenant`` created by its admin, and their access token."""
    email = f"member-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
    body = {"email": email, "name": "Member", "role": "member", "password": PASSWORD}
    created = await http.post("/v1/users", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    login = await http.post(
        "/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    return created.json(), login.json()["access_token"]
