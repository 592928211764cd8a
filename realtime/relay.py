"""The relay: one leader per deployment emits every committed event, in ``seq`` order.

Every process runs one; the one holding a PostgreSQL advisory lock (on a dedicated
connection, so it is released when that process dies) leads. The leader LISTENs to
``booking_events`` (NOTIFY ``tenant_id:seq`` at commit), polls ``app_event_heads()``
as a backstop, reads new rows of each tenant in ``seq`` order as the application role
and emits them to ``tenant:{id}`` through the Redis manager, so they reach sockets on
every process. Delivery is at least once per leader; clients drop duplicates by ``seq``
and close any gap with ``sync`` when a heartbeat shows a larger ``seq``.
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

from realtime import queries
from realtime.background import Background
from realtime.sessions import tenant_room
from server.config import Settings
from server.db import Context, Database
from server.events import queries as event_queries
from server.events.schemas import EventOut
from server.metrics import RELAY_LAG

log = logging.getLogger(__name__)

CHANNEL = "booking_events"
# The relay's advisory lock ("book", "rely"): the two-key form has its own key space, so
# single-key locks elsewhere (migrations, resources) never collide with it.
LOCK_KEYS = (0x626F6F6B, 0x72656C79)
BATCH = 500

Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]


class Relay:
    """Leader election, LISTEN/poll, and ordered emission of new events."""

    def __init__(self, settings: Settings, db: Database, emit: Emit) -> None:
        self.settings = settings
        self.db = db
        self.emit = emit
        self.poll_seconds = settings.relay_poll_seconds
        self.retry_seconds = min(5.0, max(0.5, 5 * settings.relay_poll_seconds))
        self.is_leader = False
        self.last: dict[UUID, int] = {}
        self._loop = Background("realtime-relay", self._run)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        self.is_leader = False

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
        woken = asyncio.Event()
        pending: set[UUID] = set()

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            tenant, _, _seq = payload.partition(":")
            with contextlib.suppress(ValueError):
                pending.add(UUID(tenant))
                woken.set()

        await conn.add_listener(CHANNEL, on_notify)
        # Listening before reading the heads: a change committed in between is not missed.
        self.last = await self._heads()
        self.is_leader = True
        log.info("relay is the leader")
        next_poll = time.monotonic() + self.poll_seconds
        while not conn.is_closed():
            timeout = max(0.0, next_poll - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
            woken.clear()
            tenants = set(pending)
            pending.clear()
            if time.monotonic() >= next_poll:
                await conn.execute("SELECT 1")
                heads = await self._heads()
                tenants.update(t for t, seq in heads.items() if seq > self.last.get(t, 0))
                next_poll = time.monotonic() + self.poll_seconds
            for tenant_id in tenants:
                await self._drain(tenant_id)

    async def _heads(self) -> dict[UUID, int]:
        return await self.db.read(None, queries.event_heads)

    async def _drain(self, tenant_id: UUID) -> None:
        ctx = Context(tenant_id=tenant_id)
        room = tenant_room(tenant_id)
        while True:
            since = self.last.get(tenant_id, 0)
            read = partial(event_queries.events_since, since=since, limit=BATCH)
            rows = await self.db.read(ctx, read)
            for row in rows:
                event = EventOut(
                    seq=row["seq"],
                    type=row["type"],
                    at=row["at"],
                    actor_id=row["actor_id"],
                    data=row["data"],
                )
                payload = msgspec.to_builtins(event)
                await self.emit(event.type, payload, room)
                RELAY_LAG.observe(max(0.0, time.time() - event.at.timestamp()))
                self.last[tenant_id] = event.seq
            if len(rows) < BATCH:
                return
