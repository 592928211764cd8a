"""The worker's dispatcher: turns committed events into webhook deliveries and mail.

Every ``BOOKING_DISPATCH_POLL_SECONDS`` (0.2 s by default) it asks PostgreSQL which
webhooks have events past their cursor (and no retry pending later) and which tenants
have events not yet looked at for mail, then drains them: one task per webhook, at most
``BOOKING_WEBHOOK_CONCURRENCY`` (and half of ``BOOKING_POOL_MAX``) at once, each sending
that webhook's events in ``seq`` order. Everything it reads is in PostgreSQL, so a Redis
outage only pauses it (with the worker, until Redis is back) and loses nothing; several
workers share the work through ``FOR UPDATE SKIP LOCKED``. The sweep cron runs one pass
too when this loop is not running in its process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

import aiohttp

from server.config import Settings
from server.db import Database
from server.notifications import dispatch as mail
from server.webhooks import delivery, sender

log = logging.getLogger(__name__)

BACKLOG_LIMIT = 500
# A webhook task hands over after this long, so one busy webhook cannot starve others.
DRAIN_SECONDS = 30.0


class Dispatcher:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.http: aiohttp.ClientSession | None = None
        self.running: dict[UUID, asyncio.Task[None]] = {}
        # Each running delivery holds a pooled connection: leave half the pool to jobs.
        self.slots = asyncio.Semaphore(
            max(1, min(settings.webhook_concurrency, settings.pool_max // 2))
        )
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self._loops:
            self.http = sender.client()
            loop = asyncio.get_running_loop()
            # Two loops, so turning events into mail never delays a webhook's next run.
            self._loops = [
                loop.create_task(self._every_poll(self.webhook_pass), name="dispatch-webhooks"),
                loop.create_task(self._every_poll(self.mail_pass), name="dispatch-mail"),
            ]

    async def stop(self) -> None:
        tasks = [*self._loops, *self.running.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loops = []
        self.running.clear()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def _every_poll(self, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("dispatcher pass failed; retrying", exc_info=True)
            await asyncio.sleep(self.settings.dispatch_poll_seconds)

    async def webhook_pass(self) -> None:
        """Start a task for every webhook with work that has none running."""
        for tenant_id, webhook_id in await delivery.backlog(self.db, limit=BACKLOG_LIMIT):
            if webhook_id not in self.running:
                task = asyncio.get_running_loop().create_task(
                    self._drain(tenant_id, webhook_id), name=f"webhook:{webhook_id}"
                )
                self.running[webhook_id] = task
                task.add_done_callback(self._finished)

    async def mail_pass(self) -> int:
        return await mail_pass(self.db)

    def _finished(self, task: asyncio.Task[None]) -> None:
        for key, running in list(self.running.items()):
            if running is task:
                del self.running[key]

    async def _drain(self, tenant_id: UUID, webhook_id: UUID) -> None:
        assert self.http is not None
        async with self.slots:
            try:
                await delivery.drain(
                    self.db,
                    self.settings,
                    self.http,
                    tenant_id,
                    webhook_id,
                    deadline=time.monotonic() + DRAIN_SECONDS,
                )
            except Exception:
                log.warning("webhook %s: delivery failed; will retry", webhook_id, exc_info=True)


async def mail_pass(db: Database) -> int:
    """Turn every tenant's new events into queued mail; returns how many events were read."""
    read = 0
    for tenant_id in await mail.mail_backlog(db, limit=BACKLOG_LIMIT):
        while (count := await mail.dispatch_tenant(db, tenant_id)) >= mail.BATCH:
            read += count
        read += count
    return read


async def webhook_pass(db: Database, settings: Settings, *, deadline: float) -> int:
    """One sequential pass over webhooks with work (the sweep's safety net)."""
    done = 0
    async with sender.client() as http:
        for tenant_id, webhook_id in await delivery.backlog(db, limit=BACKLOG_LIMIT):
            if time.monotonic() >= deadline:
                break
            done += await delivery.drain(
                db, settings, http, tenant_id, webhook_id, deadline=deadline
            )
    return done
