"""The pool skips asyncpg's reset query on release: nothing of a request outlives it."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest

from server import errors
from server.config import Settings
from server.db import APP_ROLE, Context, Database, Tx
from server.sql import parse_query


@pytest.fixture
async def one(settings: Settings) -> AsyncIterator[Database]:
    """The app's own pool (its reset included), of one connection shared by every use."""
    database = await Database.connect(
        msgspec.structs.replace(settings, pool_min=1, pool_max=1), min_size=1
    )
    yield database
    await database.close()


async def _session_state(db: Database) -> tuple[str, str, int, bool]:
    async with db.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT current_user AS name, current_setting('app.tenant_id', true) AS tenant,"
            " (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
            "  AND locktype = 'advisory') AS advisory,"
            " pg_current_xact_id_if_assigned() IS NOT NULL AS in_xact"
        )
        assert row is not None
        return row["name"], row["tenant"] or "", row["advisory"], row["in_xact"]


async def _lock_and_fail(tx: Tx) -> None:
    await tx.execute("SELECT pg_advisory_xact_lock(42)")
    raise errors.Conflict("on purpose")


async def test_release_leaves_no_role_tenant_or_lock(one: Database) -> None:
    ctx = Context(tenant_id=uuid.uuid4())

    async def lock(tx: Tx) -> None:
        await tx.execute("SELECT pg_advisory_xact_lock(42)")

    await one.run(ctx, lock)
    name, tenant, advisory, in_xact = await _session_state(one)
    assert (name != APP_ROLE, tenant, advisory, in_xact) == (True, "", 0, False)
    with pytest.raises(errors.Conflict):
        await one.run(ctx, _lock_and_fail)
    name, tenant, advisory, in_xact = await _session_state(one)
    assert (name != APP_ROLE, tenant, advisory, in_xact) == (True, "", 0, False)


async def test_a_request_cancelled_mid_statement_leaves_nothing(one: Database) -> None:
    async def slow(tx: Tx) -> None:
        await tx.execute("SELECT pg_advisory_xact_lock(42)")
        await tx.execute("SELECT pg_sleep(5)")

    task = asyncio.create_task(one.run(Context(tenant_id=uuid.uuid4()), slow))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    name, tenant, advisory, in_xact = await asyncio.wait_for(_session_state(one), 5)
    assert (name != APP_ROLE, tenant, advisory, in_xact) == (True, "", 0, False)


async def test_read_takes_a_snapshot_only_when_asked(one: Database) -> None:
    async def mode(tx: Tx) -> tuple[str, str]:
        row = await tx.fetchrow(
            "SELECT current_setting('transaction_isolation') AS level,"
            " current_setting('transaction_read_only') AS read_only"
        )
        assert row is not None
        return row["level"], row["read_only"]

    assert await one.read(None, mode) == ("read committed", "off")
    assert await one.read(None, mode, snapshot=True) == ("repeatable read", "on")


async def test_statements_take_a_named_query_by_name_and_one_insists_on_a_row(
    one: Database,
) -> None:
    probe = parse_query("probe", "SELECT :b::int - :a::int AS d WHERE :a::int > 0")

    async def run(tx: Tx) -> tuple[int, int]:
        row = await tx.one(probe, a=1, b=3)
        return row["d"], await tx.fetchval("SELECT $1::int", 7)

    assert await one.read(None, run) == (2, 7)

    async def none(tx: Tx) -> None:
        await tx.one(probe, a=0, b=3)

    with pytest.raises(RuntimeError, match="probe answered no row"):
        await one.read(None, none)

    async def positional(tx: Tx) -> None:
        await tx.fetchrow(probe, 1, 3)

    with pytest.raises(TypeError, match="by name"):
        await one.read(None, positional)


async def test_a_busy_pool_answers_503_with_retry_after(settings: Settings) -> None:
    db = await Database.connect(
        msgspec.structs.replace(settings, pool_min=1, pool_max=1, pool_acquire_timeout=0.2),
        min_size=1,
    )
    try:
        held = await db.pool.acquire()
        try:
            started = asyncio.get_running_loop().time()
            with pytest.raises(errors.Unavailable) as caught:
                await db.read(None, lambda tx: tx.fetchval("SELECT 1"))
            assert asyncio.get_running_loop().time() - started < 2
            assert caught.value.retry_after >= 1
            assert caught.value.code == "service_unavailable"
        finally:
            await db.pool.release(held)
        assert await db.read(None, lambda tx: tx.fetchval("SELECT 1")) == 1
    finally:
        await db.close()
