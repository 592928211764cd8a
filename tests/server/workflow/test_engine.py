"""Firing timers through the engine directly: the same code the job and the sweeper run."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from server.config import Settings
from server.db import Database
from server.workflow import engine
from tests.server.bookings.common import World, world


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(settings, min_size=1)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def soon(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


async def timers(conn: asyncpg.Connection, booking_id: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT id, kind, state, due_at, booking_version FROM workflow_timers"
            " WHERE booking_id = $1 ORDER BY created_at, kind",
            uuid.UUID(booking_id),
        )
    )


async def events(conn: asyncpg.Connection, booking_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT type FROM events WHERE entity_id = $1 ORDER BY seq", uuid.UUID(booking_id)
    )
    return [row["type"] for row in rows]


async def sweep_until(db: Database, done: Any, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await engine.sweep(db, deadline=time.monotonic() + 5)
        if await done():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timers were not applied in time")


async def pending_booking(w: World, **clocks: Any) -> dict[str, Any]:
    await w.settings(approval_required=True, **clocks)
    start = soon(3600)
    response = await w.book(iso(start), iso(start + timedelta(hours=1)), headers=w.member)
    booking = dict(response.json())
    assert booking["status"] == "pending"
    return booking


async def test_escalate_then_expire_in_order_once(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = await pending_booking(w, escalate_after="PT1S", expire_after="PT2S")
    assert [t["kind"] for t in await timers(conn, booking["id"])] == ["escalate", "expire"]

    async def expired() -> bool:
        got = await client.get(f"/v1/bookings/{booking['id']}", headers=w.admin)
        return bool(got.json()["status"] == "expired")

    await sweep_until(db, expired)
    assert await events(conn, booking["id"]) == [
        "booking.created",
        "booking.escalated",
        "booking.expired",
    ]
    final = (await client.get(f"/v1/bookings/{booking['id']}", headers=w.admin)).json()
    assert final["escalated_at"] is not None
    assert final["version"] == booking["version"] + 2
    states = {t["kind"]: t["state"] for t in await timers(conn, booking["id"])}
    assert states == {"escalate": "done", "expire": "done"}
    audit = await conn.fetch(
        "SELECT action, actor_id, correlation_id FROM audit_log WHERE entity_id = $1 ORDER BY at",
        uuid.UUID(booking["id"]),
    )
    assert [a["action"] for a in audit][1:] == ["booking.escalated", "booking.expired"]
    assert all(a["actor_id"] is None for a in audit[1:])
    assert all(a["correlation_id"].startswith("timer:") for a in audit[1:])
    # Managers and admins were alerted once; the requester heard about the expiry.
    kinds = await conn.fetch(
        "SELECT kind, user_id FROM notifications WHERE tenant_id = $1 ORDER BY kind",
        uuid.UUID(w.tenant.id),
    )
    escalated = [r for r in kinds if r["kind"] == "booking.escalated"]
    assert len(escalated) == 2  # the admin and the manager
    assert [str(r["user_id"]) for r in kinds if r["kind"] == "booking.expired"] == [w.member_id]
    # Every timer again, and another sweep: nothing changes.
    for timer in await timers(conn, booking["id"]):
        assert await engine.fire_timer(db, uuid.UUID(w.tenant.id), timer["id"]) == "skipped"
    await engine.sweep(db, deadline=time.monotonic() + 5)
    assert len(await events(conn, booking["id"])) == 3


async def test_approving_first_cancels_the_pending_timers(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = await pending_booking(w, escalate_after="PT1S", expire_after="PT1H")
    approved = await client.post(f"/v1/bookings/{booking['id']}/approve", headers=w.manager)
    assert approved.status_code == 200, approved.text
    assert {t["state"] for t in await timers(conn, booking["id"])} == {"cancelled"}
    await asyncio.sleep(1.2)
    for timer in await timers(conn, booking["id"]):
        assert await engine.fire_timer(db, uuid.UUID(w.tenant.id), timer["id"]) == "skipped"
    await engine.sweep(db, deadline=time.monotonic() + 5)
    assert await events(conn, booking["id"]) == ["booking.created", "booking.approved"]
    final = (await client.get(f"/v1/bookings/{booking['id']}", headers=w.admin)).json()
    assert (final["status"], final["escalated_at"]) == ("confirmed", None)


async def test_rescheduling_moves_the_reminder(
    client: httpx.AsyncClient, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    await w.settings(remind_before="PT1H")
    start = soon(86_400)
    created = await w.book(iso(start), iso(start + timedelta(hours=1)))
    booking = created.json()
    [first] = await timers(conn, booking["id"])
    assert (first["kind"], first["due_at"]) == ("remind", start - timedelta(hours=1))
    later = start + timedelta(days=1)
    moved = await client.patch(
        f"/v1/bookings/{booking['id']}",
        json={"start": iso(later), "end": iso(later + timedelta(hours=1))},
        headers=w.manager,
    )
    assert moved.status_code == 200, moved.text
    rows = await timers(conn, booking["id"])
    assert [(t["kind"], t["state"]) for t in rows] == [
        ("remind", "cancelled"),
        ("remind", "pending"),
    ]
    assert rows[1]["due_at"] == later - timedelta(hours=1)


async def test_reminder_notifies_the_requester_without_changing_the_booking(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    await w.settings(remind_before="PT1H")
    start = soon(3601)
    created = await w.book(iso(start), iso(start + timedelta(hours=1)), headers=w.member)
    booking = created.json()

    async def reminded() -> bool:
        return bool([t for t in await timers(conn, booking["id"]) if t["state"] == "done"])

    await sweep_until(db, reminded)
    assert await events(conn, booking["id"]) == ["booking.created"]
    rows = await conn.fetch(
        "SELECT user_id, subject FROM notifications WHERE tenant_id = $1 AND kind = $2",
        uuid.UUID(w.tenant.id),
        "booking.reminder",
    )
    assert [str(r["user_id"]) for r in rows] == [w.member_id]
    assert f"#{booking['number']}" in rows[0]["subject"]


async def test_auto_complete_at_the_end(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    await w.settings(auto_complete=True)
    end = soon(2)
    created = await w.book(iso(end - timedelta(hours=1)), iso(end))
    booking = created.json()
    assert booking["status"] == "confirmed"

    async def completed() -> bool:
        got = await client.get(f"/v1/bookings/{booking['id']}", headers=w.admin)
        return bool(got.json()["status"] == "completed")

    await sweep_until(db, completed)
    assert await events(conn, booking["id"]) == ["booking.created", "booking.completed"]


async def test_the_same_timer_fired_concurrently_changes_once(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = await pending_booking(w, expire_after="PT1S")
    [timer] = await timers(conn, booking["id"])
    await asyncio.sleep(1.1)
    tenant_id = uuid.UUID(w.tenant.id)
    outcomes = await asyncio.gather(
        *(engine.fire_timer(db, tenant_id, timer["id"]) for _ in range(5))
    )
    assert sorted(outcomes).count("expire") == 1, outcomes
    assert set(outcomes) <= {"expire", "skipped"}
    assert await engine.fire_timer(db, tenant_id, timer["id"]) == "skipped"
    assert await events(conn, booking["id"]) == ["booking.created", "booking.expired"]


async def test_an_early_delivery_waits(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = await pending_booking(w, expire_after="PT1H")
    [timer] = await timers(conn, booking["id"])
    assert await engine.fire_timer(db, uuid.UUID(w.tenant.id), timer["id"]) == "not_due"
    assert (await timers(conn, booking["id"]))[0]["state"] == "pending"


async def test_a_timer_out_of_step_with_its_booking_is_cancelled(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = await pending_booking(w, expire_after="PT1S")
    [timer] = await timers(conn, booking["id"])
    await conn.execute(
        "UPDATE workflow_timers SET booking_version = booking_version - 1 WHERE id = $1",
        timer["id"],
    )
    await asyncio.sleep(1.1)
    assert await engine.fire_timer(db, uuid.UUID(w.tenant.id), timer["id"]) == "moot"
    assert (await timers(conn, booking["id"]))[0]["state"] == "cancelled"
    assert await events(conn, booking["id"]) == ["booking.created"]


async def test_a_reminder_is_not_sent_again_after_approval(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    await w.settings(approval_required=True, remind_before="PT1H")
    start = soon(3601)
    booking = (await w.book(iso(start), iso(start + timedelta(hours=1)), headers=w.member)).json()

    async def reminded() -> bool:
        return bool([t for t in await timers(conn, booking["id"]) if t["state"] == "done"])

    await sweep_until(db, reminded)
    approved = await client.post(f"/v1/bookings/{booking['id']}/approve", headers=w.manager)
    assert approved.status_code == 200, approved.text
    await engine.sweep(db, deadline=time.monotonic() + 5)
    count = await conn.fetchval(
        "SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = 'booking.reminder'",
        uuid.UUID(w.tenant.id),
    )
    assert count == 1
    assert {t["state"] for t in await timers(conn, booking["id"])} <= {"done", "cancelled"}


async def pending_bookings(w: World, count: int) -> list[dict[str, Any]]:
    await w.settings(approval_required=True, escalate_after="PT1S", expire_after="PT2S")
    made = []
    for index in range(count):
        start = soon(3600 * (index + 1))
        response = await w.book(iso(start), iso(start + timedelta(hours=1)), headers=w.member)
        made.append(dict(response.json()))
    return made


async def test_a_later_timer_applies_the_earlier_due_ones_of_its_booking_first(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    # A restarted worker runs the overdue jobs in any order: the expiry must not make the
    # escalation that fell due before it moot.
    w = await world(client)
    [booking] = await pending_bookings(w, 1)
    expire = next(t for t in await timers(conn, booking["id"]) if t["kind"] == "expire")
    await asyncio.sleep(2.1)
    assert await engine.fire_timer(db, uuid.UUID(w.tenant.id), expire["id"]) == "expire"
    assert await events(conn, booking["id"]) == [
        "booking.created",
        "booking.escalated",
        "booking.expired",
    ]
    assert {t["kind"]: t["state"] for t in await timers(conn, booking["id"])} == {
        "escalate": "done",
        "expire": "done",
    }


async def test_overdue_timers_fired_all_at_once_apply_in_order_without_errors(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    # After a worker outage every job and the sweeper fire together: no firing may fail
    # on contention, and each booking is escalated once, then expired once.
    w = await world(client)
    made = await pending_bookings(w, 6)
    tenant_id = uuid.UUID(w.tenant.id)
    pairs = [await timers(conn, b["id"]) for b in made]
    await asyncio.sleep(2.1)
    firings = [
        engine.fire_timer(db, tenant_id, t["id"])
        for pair in pairs
        for t in sorted(pair, key=lambda t: t["kind"], reverse=True) * 2
    ]
    outcomes = await asyncio.gather(
        *firings, engine.sweep(db, deadline=time.monotonic() + 10), return_exceptions=True
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    for booking in made:
        assert await events(conn, booking["id"]) == [
            "booking.created",
            "booking.escalated",
            "booking.expired",
        ]
