"""Sockets that follow the client contract through faults: apply events by ``seq`` once and
in order, drop duplicates, ``sync`` on a gap, on a heartbeat ahead and after every
(re)connect; python-socketio reconnects by itself when a server goes away."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import socketio

SYNC_TIMEOUT = 5.0
SYNC_PAGES = 100


@dataclass(slots=True)
class Mirror:
    """One socket of one tenant on one server; ``applied`` is every seq applied, in order."""

    name: str
    server: str
    url: str
    tenant_id: str
    token: str
    seq: int = 0
    applied: list[int] = field(default_factory=list)
    pushed: set[int] = field(default_factory=set)
    synced: int = 0
    duplicates: int = 0
    connects: int = 0
    disconnected_at: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # push received minus the event's `at`
    sio: socketio.AsyncClient = field(init=False)
    # Ours, so every connection the socket (and its reconnects) opened closes with it.
    http: aiohttp.ClientSession = field(init=False)
    _lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _tasks: set[asyncio.Task[None]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.http = aiohttp.ClientSession()
        self.sio = socketio.AsyncClient(
            http_session=self.http,
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1.0,
            randomization_factor=0.2,
            handle_sigint=False,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("heartbeat", self._on_heartbeat)
        self.sio.on("*", self._on_event)

    async def start(self) -> None:
        await self.sio.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.sio.disconnect()
        await self.http.close()

    def connected_since(self, moment: float) -> bool:
        """Connected, and not dropped once since ``moment`` (a ``time.monotonic()``)."""
        return self.sio.connected and not any(t >= moment for t in self.disconnected_at)

    async def _on_connect(self) -> None:
        self.connects += 1
        # What a client does after any (re)connect: ask for what it missed meanwhile.
        task = asyncio.create_task(self._catch_up_locked())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_disconnect(self, *_reason: Any) -> None:
        self.disconnected_at.append(time.monotonic())

    async def _on_heartbeat(self, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("seq"), int) and data["seq"] > self.seq:
            await self._catch_up_locked()

    async def _on_event(self, event: str, data: Any = None) -> None:
        if not (isinstance(data, dict) and isinstance(data.get("seq"), int)):
            return
        seq = int(data["seq"])
        self.pushed.add(seq)
        with contextlib.suppress(KeyError, TypeError, ValueError):
            self.lags.append(time.time() - datetime.fromisoformat(str(data["at"])).timestamp())
        async with self._lock:
            if seq <= self.seq:
                self.duplicates += 1
            elif seq == self.seq + 1:
                self._apply([data])
            else:
                await self._catch_up()

    async def _catch_up_locked(self) -> None:
        async with self._lock:
            await self._catch_up()

    async def _catch_up(self) -> None:
        for _ in range(SYNC_PAGES):
            try:
                page = await self.sio.call("sync", {"since": self.seq}, timeout=SYNC_TIMEOUT)
            except (socketio.exceptions.SocketIOError, TimeoutError):
                return  # the next heartbeat or reconnect tries again
            if not isinstance(page, dict) or "events" not in page:
                return
            before = self.seq
            self._apply(page["events"])
            self.synced += self.seq - before
            if self.seq >= int(page["seq"]) or not page["events"]:
                return

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["seq"] == self.seq + 1:
                self.applied.append(event["seq"])
                self.seq = event["seq"]


def in_order_once(applied: list[int], head: int) -> bool:
    """Every seq 1..head applied exactly once, in order (and nothing beyond the head)."""
    return applied[:head] == list(range(1, head + 1))
