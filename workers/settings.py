"""The arq worker's settings, built from ``BOOKING_*`` settings.

``arq workers.settings.WorkerSettings`` reads the environment when the attribute is
first looked up (not at import), so importing this module never needs configuration.
"""

from __future__ import annotations

import os
from typing import Any

from arq.cron import CronJob, cron

from realtime.wake import Waker, wake_channel
from server import migrations
from server.config import Settings, load_settings
from server.db import Database
from server.workflow import queue
from workers import jobs
from workers.dispatcher import Dispatcher

HEARTBEAT_SECONDS = 5
# Running jobs get this long to finish on SIGTERM; each is one transaction, so one that
# is cut short rolls back and the sweeper applies it later.
SHUTDOWN_GRACE_SECONDS = 10


def sweep_schedule(period: int) -> dict[str, Any]:
    """arq cron fields that fire every ``period`` seconds (never more than ``period`` apart)."""
    if period < 60:
        return {"second": set(range(0, 60, period))}
    minutes = max(1, period // 60)
    if minutes < 60:
        return {"minute": set(range(0, 60, minutes)), "second": 0}
    return {"minute": 0, "second": 0}


def cron_jobs(settings: Settings) -> list[CronJob]:
    return [
        cron(
            jobs.sweep,
            name="sweep",
            **sweep_schedule(settings.sweep_seconds),
            timeout=jobs.SWEEP_BUDGET_SECONDS + 60,
            run_at_startup=True,
        ),
        cron(jobs.maintain, name="maintain", hour=3, minute=17, second=0, run_at_startup=True),
    ]


async def on_startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    if "db" not in ctx:
        ctx["db"] = await migrations.open_database(settings, min_size=1)
        ctx["owns_db"] = True
    ctx["db"].enqueuer = queue.enqueuer(ctx["redis"])
    # Events a job commits wake the relay leader of a web process through Redis.
    ctx["waker"] = Waker(ctx["redis"], wake_channel(settings))
    ctx["db"].on_events = ctx["waker"].wake
    dispatcher = Dispatcher(ctx["db"], settings)
    dispatcher.start()
    ctx["dispatcher"] = dispatcher


async def on_shutdown(ctx: dict[str, Any]) -> None:
    dispatcher = ctx.pop("dispatcher", None)
    if isinstance(dispatcher, Dispatcher):
        await dispatcher.stop()
    db = ctx.get("db")
    waker = ctx.pop("waker", None)
    if isinstance(waker, Waker):
        await waker.close()
    if isinstance(db, Database):
        db.enqueuer = None
        db.on_events = None
        if ctx.pop("owns_db", False):
            await db.close()
            del ctx["db"]


def build(settings: Settings, **ctx: Any) -> type:
    """A WorkerSettings class for ``settings``; ``ctx`` seeds the jobs' context."""
    attributes: dict[str, Any] = {
        "functions": [jobs.fire_timer, jobs.deliver_notification, jobs.release_hold],
        "cron_jobs": cron_jobs(settings),
        "redis_settings": queue.redis_settings(settings.require_redis_url()),
        "queue_name": queue.QUEUE_NAME,
        "job_serializer": queue.serialize,
        "job_deserializer": queue.deserialize,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {"settings": settings, **ctx},
        "health_check_key": queue.HEARTBEAT_KEY,
        "health_check_interval": HEARTBEAT_SECONDS,
        "job_completion_wait": SHUTDOWN_GRACE_SECONDS,
        "job_timeout": 120,
        "keep_result": 300,
        "max_jobs": 20,
    }
    return type("WorkerSettings", (), attributes)


def __getattr__(name: str) -> Any:
    if name == "WorkerSettings":
        return build(load_settings(os.environ))
    raise AttributeError(name)
