"""Job functions: thin, enqueued by name, each safe to run more than once.

Every job re-reads its state in PostgreSQL and changes it with a guarded update, so a
job delivered twice, or racing the sweeper, changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from arq import Retry

from server import errors
from server.config import Settings
from server.db import Database
from server.holds import service as holds
from server.metrics import BACKLOG, WORKER_JOBS
from server.notifications import service as notifications
from server.ops import queries as ops_queries
from server.workflow import engine, maintenance
from workers import dispatcher

log = logging.getLogger(__name__)

# One sweep stops claiming after this long, so runs never pile up behind each other.
SWEEP_BUDGET_SECONDS = 30.0
# A timer job that could not apply is run again this many seconds times its try number.
RETRY_SECONDS = 1


P = ParamSpec("P")
R = TypeVar("R")


def counted(
    job: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Count the job's results in ``booking_worker_jobs_total``: the outcome a job returns
    as a string (``"escalate"``, ``"moot"``…), ``ok`` for other results, ``error`` when it
    raised (arq retries or records it)."""

    @functools.wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = await job(*args, **kwargs)
        except BaseException:
            WORKER_JOBS.labels(job.__name__, "error").inc()
            raise
        WORKER_JOBS.labels(job.__name__, result if isinstance(result, str) else "ok").inc()
        return result

    return run


def _db(ctx: dict[str, Any]) -> Database:
    db = ctx["db"]
    assert isinstance(db, Database)
    return db


def _settings(ctx: dict[str, Any]) -> Settings:
    settings = ctx["settings"]
    assert isinstance(settings, Settings)
    return settings


@counted
async def fire_timer(ctx: dict[str, Any], tenant_id: str, timer_id: str) -> str:
    """Apply one workflow timer (escalate, expire, remind, complete) if still pending.

    Not applied because of a lost race or an unreachable database: arq runs it again
    (``max_tries``), later each time; past that the sweeper fires it.
    """
    try:
        return await engine.fire_timer(_db(ctx), UUID(str(tenant_id)), UUID(str(timer_id)))
    except (errors.Contention, errors.Unavailable) as exc:
        tries = int(ctx.get("job_try") or 1)
        log.warning("timer %s not applied (%s); retry %d", timer_id, exc, tries)
        raise Retry(defer=RETRY_SECONDS * tries) from exc


@counted
async def deliver_notification(ctx: dict[str, Any], tenant_id: str, notification_id: str) -> str:
    """Send one outbox message if it is still pending and due."""
    return await notifications.deliver(
        _db(ctx), _settings(ctx), UUID(str(tenant_id)), UUID(str(notification_id))
    )


@counted
async def release_hold(ctx: dict[str, Any], tenant_id: str, hold_id: str) -> str:
    """Release one hold at its expiry if it is still unreleased (``hold.released``)."""
    return await holds.expire_hold(_db(ctx), UUID(str(tenant_id)), UUID(str(hold_id)))


@counted
async def sweep(ctx: dict[str, Any]) -> dict[str, int]:
    """The safety net: apply every overdue timer, release every expired hold and send
    every due message (and, when this process runs no dispatcher loop, turn events into
    mail and webhook deliveries).

    One sweep at a time per worker: a run that finds the last one still going leaves the
    work to it (two would walk the same overdue list and wait on each other's bookings).
    """
    running: asyncio.Lock = ctx.setdefault("sweeping", asyncio.Lock())
    if running.locked():
        return {"timers": 0, "holds": 0, "notifications": 0, "webhook_runs": 0}
    async with running:
        return await _sweep(ctx)


async def _sweep(ctx: dict[str, Any]) -> dict[str, int]:
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    fired = await engine.sweep(_db(ctx), deadline=deadline)
    expired = await holds.expire_due_holds(_db(ctx), deadline=deadline)
    hooks = 0
    if "dispatcher" not in ctx:
        await dispatcher.mail_pass(_db(ctx))
        hooks = await dispatcher.webhook_pass(_db(ctx), _settings(ctx), deadline=deadline)
    sent = await notifications.deliver_due(_db(ctx), _settings(ctx))
    if fired or expired or sent or hooks:
        log.info(
            "sweep applied %d timers, released %d holds, sent %d messages, %d webhook runs",
            fired,
            expired,
            sent,
            hooks,
        )
    BACKLOG.update(await _db(ctx).read(None, ops_queries.backlogs))
    return {"timers": fired, "holds": expired, "notifications": sent, "webhook_runs": hooks}


@counted
async def maintain(ctx: dict[str, Any]) -> dict[str, int]:
    """Daily: audit partitions a few months ahead; prune old events and idempotency keys."""
    retention = timedelta(days=_settings(ctx).event_retention_days)
    return await maintenance.run_maintenance(_db(ctx), event_retention=retention)
