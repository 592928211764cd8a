"""Timers applied by a real worker process on a private Redis: fast path, lost jobs, crashes."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from server.config import Settings
from server.db import Job
from server.workflow import queue
from tests.factories import client_with
from tests.server.bookings.common import World, world
from tests.smtpsink import smtp_sink
from tests.workers.conftest import SWEEP_SECONDS, StartWorker
from tests.workers.harness import PrivateRedis, WorkerProcess, eventually

# How late a transition may be after its due time: one sweep period, plus the time a
# sweep and our polling take.
SLACK = SWEEP_SECONDS + 1.5


@pytest.fixture
async def conn(worker_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(worker_settings.require_database_url())
    try:
        yield connection
    finally:
        await connection.close()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def book_pending(w: World, *, hours_ahead: int = 1) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
    response = await w.book(iso(start), iso(start + timedelta(minutes=30)), headers=w.member)
    booking = dict(response.json())
    assert booking["status"] == "pending"
    return booking


async def booking_events(conn: asyncpg.Connection, booking_id: str) -> list[tuple[str, Any]]:
    rows = await conn.fetch(
        "SELECT type, at FROM events WHERE entity_id = $1 ORDER BY seq", uuid.UUID(booking_id)
    )
    return [(row["type"], row["at"]) for row in rows]


async def status_of(conn: asyncpg.Connection, booking_id: str) -> str:
    return str(
        await conn.fetchval("SELECT status FROM bookings WHERE id = $1", uuid.UUID(booking_id))
    )


async def test_escalate_then_expire_through_the_worker_with_mail(
    start_worker: StartWorker,
    worker_client: httpx.AsyncClient,
    conn: asyncpg.Connection,
) -> None:
    with smtp_sink(["451 4.3.0 Busy, try again"]) as (smtp_url, sink):
        worker = await start_worker(BOOKING_SMTP_URL=smtp_url)
        w = await world(worker_client)
        await w.settings(approval_required=True, escalate_after="PT1S", expire_after="PT2S")
        booking = await book_pending(w)

        async def expired() -> bool:
            return await status_of(conn, booking["id"]) == "expired"

        assert await eventually(expired, within=2 + SLACK + 3), worker.log()
        found = await booking_events(conn, booking["id"])
        assert [t for t, _ in found] == ["booking.created", "booking.escalated", "booking.expired"]
        created_at = found[0][1]
        assert found[1][1] - created_at < timedelta(seconds=1 + SLACK)
        assert found[2][1] - created_at < timedelta(seconds=2 + SLACK)

        # Admin and manager told of the new pending booking and alerted on escalation,
        # requester told of the expiry; one refusal retried.
        async def delivered() -> bool:
            return len(sink.accepted) == 5

        assert await eventually(delivered, within=15), worker.log()
        assert sink.attempts == 6

        async def recorded() -> bool:
            # The server accepts a message just before the worker commits it as sent.
            return not await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE tenant_id = $1 AND state <> 'sent'",
                uuid.UUID(w.tenant.id),
            )

        assert await eventually(recorded, within=5), worker.log()
        states = await conn.fetch(
            "SELECT kind, state, attempts FROM notifications WHERE tenant_id = $1",
            uuid.UUID(w.tenant.id),
        )
        assert sorted((r["state"], r["attempts"]) for r in states) == [
            ("sent", 1),
            ("sent", 1),
            ("sent", 1),
            ("sent", 1),
            ("sent", 2),
        ]
        assert sorted(r["kind"] for r in states) == [
            "booking.created",
            "booking.created",
            "booking.escalated",
            "booking.escalated",
            "booking.expired",
        ]


async def test_flushall_right_after_booking_still_expires_within_a_sweep(
    worker: WorkerProcess,
    worker_client: httpx.AsyncClient,
    worker_settings: Settings,
    conn: asyncpg.Connection,
) -> None:
    w = await world(worker_client)
    await w.settings(approval_required=True, expire_after="PT1S")
    booking = await book_pending(w)
    assert worker_settings.redis_url
    redis = Redis.from_url(worker_settings.redis_url)
    try:
        assert await redis.zcard(queue.QUEUE_NAME) >= 1
        await redis.flushall()
        assert await redis.zcard(queue.QUEUE_NAME) == 0
    finally:
        await redis.aclose()

    async def expired() -> bool:
        return await status_of(conn, booking["id"]) == "expired"

    assert await eventually(expired, within=1 + SLACK + 3), worker.log()
    found = await booking_events(conn, booking["id"])
    assert [t for t, _ in found] == ["booking.created", "booking.expired"]
    assert found[1][1] - found[0][1] < timedelta(seconds=1 + SLACK)


async def test_kill_9_mid_run_applies_each_transition_exactly_once(
    start_worker: StartWorker,
    worker_client: httpx.AsyncClient,
    conn: asyncpg.Connection,
) -> None:
    count = 30
    worker = await start_worker()
    w = await world(worker_client)
    await w.settings(approval_required=True, expire_after="PT2S")
    bookings = [await book_pending(w, hours_ahead=1 + i) for i in range(count)]
    ids = [uuid.UUID(b["id"]) for b in bookings]

    async def expired_count() -> int:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM bookings WHERE id = any($1) AND status = 'expired'", ids
            )
        )

    async def some_expired() -> bool:
        return await expired_count() > 0

    assert await eventually(some_expired, within=15, interval=0.005), worker.log()
    worker.kill()  # SIGKILL: no shutdown, jobs cut off wherever they were
    before_restart = await expired_count()
    await start_worker(wait=False)

    async def all_expired() -> bool:
        return await expired_count() == count

    assert await eventually(all_expired, within=20), (before_restart, worker.log())
    rows = await conn.fetch(
        "SELECT entity_id, count(*) AS n FROM events"
        " WHERE entity_id = any($1) AND type = 'booking.expired' GROUP BY entity_id",
        ids,
    )
    assert {row["entity_id"]: row["n"] for row in rows} == dict.fromkeys(ids, 1)
    seqs = [
        r["seq"]
        for r in await conn.fetch(
            "SELECT seq FROM events WHERE tenant_id = $1 ORDER BY seq", uuid.UUID(w.tenant.id)
        )
    ]
    assert seqs == list(range(1, len(seqs) + 1))
    audit = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE entity_id = any($1) AND action = 'booking.expired'",
        ids,
    )
    assert audit == count
    states = await conn.fetch(
        "SELECT state, count(*) AS n FROM workflow_timers WHERE booking_id = any($1)"
        " GROUP BY state",
        ids,
    )
    assert {r["state"]: r["n"] for r in states} == {"done": count}


async def test_the_same_job_delivered_twice_changes_once(
    worker: WorkerProcess,
    worker_client: httpx.AsyncClient,
    worker_settings: Settings,
    conn: asyncpg.Connection,
) -> None:
    w = await world(worker_client)
    await w.settings(approval_required=True, expire_after="PT1H")
    booking = await book_pending(w)
    timer_id = await conn.fetchval(
        "SELECT id FROM workflow_timers WHERE booking_id = $1", uuid.UUID(booking["id"])
    )
    await conn.execute("UPDATE workflow_timers SET due_at = now() WHERE id = $1", timer_id)
    assert worker_settings.redis_url
    pool = queue.pool(worker_settings.redis_url)
    try:
        args = (w.tenant.id, str(timer_id))
        copies = [Job(name="fire_timer", args=args, job_id=f"copy-{n}") for n in range(3)]
        await queue.enqueuer(pool)(copies)
    finally:
        await queue.close(pool)

    async def expired() -> bool:
        return await status_of(conn, booking["id"]) == "expired"

    assert await eventually(expired, within=10), worker.log()
    await asyncio.sleep(SWEEP_SECONDS + 0.5)
    found = await booking_events(conn, booking["id"])
    assert [t for t, _ in found] == ["booking.created", "booking.expired"]


async def test_a_lost_job_and_a_redis_restart_delay_but_never_drop(
    worker: WorkerProcess,
    worker_settings: Settings,
    settings: Settings,
    private_redis: PrivateRedis,
    conn: asyncpg.Connection,
) -> None:
    # Booked through an app whose jobs go to another Redis: lost to this worker.
    async with client_with(worker_settings, redis_url=settings.redis_url) as other:
        w = await world(other)
        await w.settings(approval_required=True, expire_after="PT2S")
        booking = await book_pending(w)
    private_redis.stop()
    started = time.monotonic()
    private_redis.start()

    async def expired() -> bool:
        return await status_of(conn, booking["id"]) == "expired"

    assert await eventually(expired, within=25), worker.log()
    assert time.monotonic() - started < 25
    found = await booking_events(conn, booking["id"])
    assert [t for t, _ in found] == ["booking.created", "booking.expired"]
