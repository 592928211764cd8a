"""Waking the relay leader after a commit, without NOTIFY in the write.

A process that committed events calls ``Waker.wake(tenant_id)`` (it is the database's
``on_events`` hook, run after commit). When this process's relay leads, it is woken in
process; otherwise the tenant ids go to Redis pub/sub on ``wake_channel`` — one PUBLISH
per event-loop turn, however many commits that turn carried — and the leader, subscribed
while it leads, wakes itself. The events table stays the truth: a lost wake-up only waits
for the leader's poll of the event heads (``BOOKING_RELAY_POLL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from urllib.parse import urlsplit
from uuid import UUID

from redis.asyncio import Redis

from server.config import Settings

log = logging.getLogger(__name__)

# Takes a tenant id; True when a relay leading in this process took the wake-up.
LocalWake = Callable[[UUID], bool]


def wake_channel(settings: Settings) -> str:
    """Processes sharing a database share the channel; other deployments on the Redis don't."""
    name = urlsplit(settings.require_database_url()).path.lstrip("/") or "booking"
    return f"relay-wake:{name}"


def parse_wake(data: bytes | str) -> list[UUID]:
    """The tenant ids of one published wake-up (space-separated); junk is skipped."""
    text = data.decode() if isinstance(data, bytes) else data
    tenants = []
    for word in text.split():
        with contextlib.suppress(ValueError):
            tenants.append(UUID(word))
    return tenants


class Waker:
    """Tells the relay leader, wherever it runs, which tenants have new events."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel
        self.local: LocalWake | None = None
        self.published = 0  # PUBLISH calls made, for tests and the bench
        self._pending: set[UUID] = set()
        self._task: asyncio.Task[None] | None = None

    def wake(self, tenant_id: UUID) -> None:
        """After a commit that wrote events of ``tenant_id``; never blocks, never raises."""
        if self.local is not None and self.local(tenant_id):
            return
        self._pending.add(tenant_id)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # gather the commits of this turn into one message
            tenants, self._pending = self._pending, set()
            try:
                await self.redis.publish(self.channel, " ".join(str(t) for t in tenants))
                self.published += 1
            except Exception:
                log.warning("relay wake-up not published; the leader's poll will catch up")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 2)
