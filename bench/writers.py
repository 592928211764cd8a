"""Clients that book through faults the way a careful client does: each booking gets an
``Idempotency-Key`` (also its title, so the database shows what each key stored) and is
sent again with the same key and body after a 5xx or no answer, to either server, until
an answer is final or a deadline passes. Every attempt is recorded with its time."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import msgspec

from bench.stats import NO_ANSWER

RETRY_DELAY = 0.2
GIVE_UP_AFTER = 60.0
SLOTS = 3000
EPOCH = datetime(2031, 1, 6, tzinfo=UTC)
JSON = {"content-type": "application/json"}


@dataclass(frozen=True, slots=True)
class Writable:
    """A tenant the writers book for: the member's token and the resources."""

    tenant_id: str
    token: str
    resources: list[str]


@dataclass(slots=True)
class Write:
    """One logical booking: its key, every attempt's status, and how it ended."""

    key: str
    tenant_id: str
    started: float
    status: int | None = None  # the final answer; None when it gave up
    booking_id: str | None = None
    finished: float | None = None
    attempts: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, status)


# Nothing listened on the server's port: a proxy would have sent the request elsewhere
# (and the writer does), so this is not in the error window; counted on its own.
REFUSED = -1


def failed(status: int) -> bool:
    """A 5xx, or a request the server took and never answered (reset, timeout)."""
    return status == NO_ANSWER or status >= 500


async def post(
    http: aiohttp.ClientSession, url: str, token: str, body: dict[str, Any], key: str
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {token}", "idempotency-key": key}
    try:
        async with http.post(url, data=msgspec.json.encode(body), headers=headers | JSON) as reply:
            raw = await reply.read()
            return reply.status, (msgspec.json.decode(raw) if raw else None)
    except aiohttp.ClientConnectorError:
        return REFUSED, None
    except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError):
        return NO_ANSWER, None


class Writers:
    """``clients`` loops booking at ``rate`` per second in all, over ``urls``."""

    def __init__(
        self, urls: list[str], tenants: list[Writable], clients: int, rate: float, seed: int = 1
    ) -> None:
        self.urls = urls
        self.tenants = tenants
        self.clients = clients
        self.pace = clients / rate
        self.random = random.Random(seed)
        self.writes: list[Write] = []
        self.running = asyncio.Event()
        self._stop = False
        self._busy = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self._http = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=15)
        )
        self.running.set()
        self._tasks = [asyncio.create_task(self._client(n)) for n in range(self.clients)]

    async def pause(self, within: float = GIVE_UP_AFTER + 15) -> None:
        """Stop starting bookings and wait for those under way to end (answered or given up)."""
        self.running.clear()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self._busy:
                return
            await asyncio.sleep(0.05)

    def resume(self) -> None:
        self.running.set()

    async def close(self) -> None:
        self._stop = True
        self.running.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def attempts_between(self, start: float, end: float) -> list[tuple[float, int]]:
        return sorted(a for w in self.writes for a in w.attempts if start <= a[0] < end)

    async def _client(self, index: int) -> None:
        while not self._stop:
            await self.running.wait()
            if self._stop:
                return
            self._busy += 1
            try:
                await self._book(index)
            finally:
                self._busy -= 1
            await asyncio.sleep(self.pace * self.random.uniform(0.5, 1.5))

    async def _book(self, index: int) -> None:
        assert self._http is not None
        tenant = self.tenants[index % len(self.tenants)]
        start = EPOCH + timedelta(hours=self.random.randrange(SLOTS))
        key = uuid.uuid4().hex
        body: dict[str, Any] = {
            "resource_id": self.random.choice(tenant.resources),
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=50)).isoformat(),
            "title": key,
        }
        write = Write(key=key, tenant_id=tenant.tenant_id, started=time.monotonic())
        self.writes.append(write)
        server = index % len(self.urls)
        while time.monotonic() - write.started < GIVE_UP_AFTER:
            url = f"{self.urls[server]}/v1/bookings"
            status, answer = await post(self._http, url, tenant.token, body, key)
            write.attempts.append((time.monotonic(), status))
            if status != REFUSED and not failed(status):
                write.status = status
                write.finished = time.monotonic()
                if status == 201 and isinstance(answer, dict):
                    write.booking_id = str(answer["id"])
                return
            server = (server + 1) % len(self.urls)  # the other server, as a proxy would
            await asyncio.sleep(RETRY_DELAY)
