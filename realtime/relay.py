"""The relay: one leader per deployment emits every committed event, in ``seq`` order.

Every process runs one; the one holding a PostgreSQL advisory lock (on a dedicated
connection, so it is released when that process dies) leads. The leader is woken after
commit by the writing process (``realtime.wake``: in process, or through Redis pub/sub),
polls ``app_event_heads()`` every ``relay_poll_seconds`` as the backstop, reads new rows
of each tenant in ``seq`` order as the application role and emits them to
``tenant:{id}`` through the Redis manager, so they reach sockets on every process.

It starts from what the last leader emitted (``relay_cursors``, saved every
``SAVE_SECONDS`` and when it stops), not from the current heads, so an event committed
while no process led is still pushed. Delivery is at least once; clients drop duplicates
by ``seq`` and close any gap with ``sync`` when a heartbeat shows a larger ``seq``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from redis.asyncio import Redis

from realtime import queries
from realtime.background import Background
from realtime.sessions import tenant_room
from realtime.wake import parse_wake, wake_channel
from server.config import Settings
from server.db import Database
from server.events.schemas import EventOut
from server.metrics import RELAY_LAG

log = logging.getLogger(__name__)

# The relay's advisory lock ("book", "rely"): the two-key form has its own key space, so
# single-key locks elsewhere (migrations, resources) never collide with it.
LOCK_KEYS = (0x626F6F6B, 0x72656C79)
BATCH = 500
# How often the leader records how far it has emitted (and when it stops): a new leader
# re-emits at most this much, never skips.
SAVE_SECONDS = 0.2

Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]


class Relay:
    """Leader election, wake-ups and poll, and ordered emission of new events."""

    def __init__(self, settings: Settings, db: Database, emit: Emit) -> None:
        self.settings = settings
        self.db = db
        self.emit = emit
        self.poll_seconds = settings.relay_poll_seconds
        self.retry_seconds = min(5.0, max(0.5, 5 * settings.relay_poll_seconds))
        self.is_leader = False
        self.last: dict[UUID, int] = {}
        self._saved: dict[UUID, int] = {}
        self._pending: set[UUID] = set()
        self._woken = asyncio.Event()
        self._loop = Background("realtime-relay", self._run)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        self.is_leader = False

    def wake(self, tenant_id: UUID) -> bool:
        """New events of ``tenant_id`` are committed; False when this relay does not lead."""
        if not self.is_leader:
            return False
        self._pending.add(tenant_id)
        self._woken.set()
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self._lead_if_free()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("relay lost its connection; retrying", exc_info=True)
            self.is_leader = False
            await asyncio.sleep(self.retry_seconds)

    async def _lead_if_free(self) -> None:
        conn = await asyncpg.connect(self.settings.require_database_url(), timeout=10)
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *LOCK_KEYS):
                return
            await self._lead(conn)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _lead(self, conn: asyncpg.Connection) -> None:
        self.last = await self.db.read(None, queries.relay_cursors)
        self._saved = dict(self.last)
        self._pending.clear()
        self.is_leader = True
        log.info("relay is the leader")
        listener = asyncio.create_task(self._listen(), name="realtime-relay-wake")
        try:
            await self._serve(conn)
        finally:
            self.is_leader = False
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.wait_for(self._save(), 2))

    async def _serve(self, conn: asyncpg.Connection) -> None:
        next_poll = 0.0  # at once: whatever committed since the cursors were saved
        next_save = time.monotonic() + SAVE_SECONDS
        while not conn.is_closed():
            timeout = max(0.0, next_poll - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), timeout)
            self._woken.clear()
            tenants = set(self._pending)
            self._pending.clear()
            if time.monotonic() >= next_poll:
                await conn.execute("SELECT 1")  # still the lock's session
                heads = await self.db.read(None, queries.event_heads)
                tenants.update(t for t, seq in heads.items() if seq > self.last.get(t, 0))
                next_poll = time.monotonic() + self.poll_seconds
            await self._drain(tenants)
            if time.monotonic() >= next_save:
                await self._save()
                next_save = time.monotonic() + SAVE_SECONDS

    async def _listen(self) -> None:
        """Wake-ups published by other processes, while this relay leads."""
        channel = wake_channel(self.settings)
        while True:
            redis = Redis.from_url(self.settings.require_redis_url(), socket_connect_timeout=2)
            try:
                async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel)
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None and message.get("type") == "message":
                            for tenant_id in parse_wake(message["data"]):
                                self.wake(tenant_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("relay wake-ups unavailable; polling only", exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await redis.aclose()
            await asyncio.sleep(self.retry_seconds)

    async def _save(self) -> None:
        moved = {t: seq for t, seq in self.last.items() if self._saved.get(t) != seq}
        if not moved:
            return
        await self.db.run(None, partial(queries.save_relay_cursors, moved))
        self._saved.update(moved)

    async def _drain(self, tenants: set[UUID]) -> None:
        """Emit the new events of ``tenants`` in seq order, one read for all of them."""
        while tenants:
            since = {t: self.last.get(t, 0) for t in tenants}
            rows = await self.db.read(None, partial(queries.events_after, since, BATCH))
            counts: dict[UUID, int] = {}
            for row in rows:
                tenant_id = row["tenant_id"]
                event = EventOut(
                    seq=row["seq"],
                    type=row["type"],
                    at=row["at"],
                    actor_id=row["actor_id"],
                    data=row["data"],
                )
                await self.emit(event.type, msgspec.to_builtins(event), tenant_room(tenant_id))
                RELAY_LAG.observe(max(0.0, time.time() - event.at.timestamp()))
                self.last[tenant_id] = event.seq
                counts[tenant_id] = counts.get(tenant_id, 0) + 1
            tenants = {t for t, n in counts.items() if n >= BATCH}
