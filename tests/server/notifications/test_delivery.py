import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import msgspec
import pytest

from server.config import Settings
from server.db import Context, Database, Tx
from server.notifications import service
from tests.factories import signup
from tests.smtpsink import Sink, free_port, smtp_sink


@pytest.fixture
def smtp() -> Iterator[tuple[str, Sink]]:
    with smtp_sink(["451 4.3.0 Try again later"]) as found:
        yield found


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(settings, min_size=1)
    try:
        yield database
    finally:
        await database.close()


async def _queue(db: Database, tenant_id: str, roles: list[str]) -> list[uuid.UUID]:
    async def work(tx: Tx) -> list[uuid.UUID]:
        return await service.notify_roles(
            tx, roles=roles, kind="test", subject="Hello", body="A test message"
        )

    return await db.run(Context(tenant_id=uuid.UUID(tenant_id)), work)


async def _row(database_url: str, notification_id: uuid.UUID) -> asyncpg.Record:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM notifications WHERE id = $1", notification_id)
    finally:
        await conn.close()
    assert row is not None
    return row


async def test_retry_after_refusal_then_sent(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    database_url: str,
    smtp: tuple[str, Sink],
) -> None:
    url, sink = smtp
    config = msgspec.structs.replace(settings, smtp_url=url)
    tenant = await signup(client)
    [notification_id] = await _queue(db, tenant.id, ["admin"])
    tenant_id = uuid.UUID(tenant.id)

    assert await service.deliver(db, config, tenant_id, notification_id) == "retry"
    row = await _row(database_url, notification_id)
    assert row["state"] == "pending"
    assert row["attempts"] == 1
    assert "451" in row["last_error"]
    # Not due yet: a second delivery of the same job changes nothing.
    assert await service.deliver(db, config, tenant_id, notification_id) == "skipped"

    deadline = time.monotonic() + 10
    outcome = "skipped"
    while outcome != "sent" and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        outcome = await service.deliver(db, config, tenant_id, notification_id)
    assert outcome == "sent"
    row = await _row(database_url, notification_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("sent", 2, None)
    assert sink.attempts == 2
    [envelope] = sink.accepted
    assert envelope.rcpt_tos == [tenant.admin["email"]]
    assert b"Subject: Hello" in envelope.content
    assert await service.deliver(db, config, tenant_id, notification_id) == "skipped"


async def test_permanent_refusal_fails_at_once(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    database_url: str,
    smtp: tuple[str, Sink],
) -> None:
    url, sink = smtp
    sink.refusals[:] = ["554 5.7.1 Rejected"]
    config = msgspec.structs.replace(settings, smtp_url=url)
    tenant = await signup(client)
    [notification_id] = await _queue(db, tenant.id, ["admin"])
    assert await service.deliver(db, config, uuid.UUID(tenant.id), notification_id) == "failed"
    row = await _row(database_url, notification_id)
    assert row["state"] == "failed"
    assert "554" in row["last_error"]


async def test_unreachable_server_retries_until_the_limit(
    client: httpx.AsyncClient, db: Database, settings: Settings, database_url: str
) -> None:
    config = msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    tenant = await signup(client)
    [notification_id] = await _queue(db, tenant.id, ["admin"])
    tenant_id = uuid.UUID(tenant.id)
    conn = await asyncpg.connect(database_url)
    try:
        outcomes = []
        for _ in range(service.MAX_ATTEMPTS):
            await conn.execute(
                "UPDATE notifications SET next_attempt_at = now() WHERE id = $1", notification_id
            )
            outcomes.append(await service.deliver(db, config, tenant_id, notification_id))
    finally:
        await conn.close()
    assert outcomes == ["retry"] * (service.MAX_ATTEMPTS - 1) + ["failed"]
    row = await _row(database_url, notification_id)
    assert (row["state"], row["attempts"]) == ("failed", service.MAX_ATTEMPTS)
    assert row["last_error"]


async def test_without_smtp_the_message_is_logged_and_sent(
    client: httpx.AsyncClient, db: Database, settings: Settings, database_url: str
) -> None:
    config = msgspec.structs.replace(settings, smtp_url=None)
    tenant = await signup(client)
    [notification_id] = await _queue(db, tenant.id, ["admin", "manager"])
    assert await service.deliver_due(db, config) >= 1
    assert (await _row(database_url, notification_id))["state"] == "sent"


def test_backoff_grows_and_is_capped() -> None:
    delays = [service.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays[:3] == [2, 8, 32]
    assert delays == sorted(delays)
    assert delays[-1] == 3600
