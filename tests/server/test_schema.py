"""The exclusion constraint and the period check, in SQL, as the app role in a tenant."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import asyncpg
import msgspec
import pytest

from server import errors
from server.bookings.statuses import BLOCKING, Status
from server.config import Settings
from server.db import Context, Database, Tx

NON_BLOCKING = tuple(s for s in get_args(Status) if s not in BLOCKING)
DAY = datetime(2030, 1, 7, tzinfo=UTC)


def at(hour: int) -> datetime:
    return DAY + timedelta(hours=hour)


class Scope(msgspec.Struct, frozen=True):
    ctx: Context
    user_id: uuid.UUID
    resource_id: uuid.UUID


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(msgspec.structs.replace(settings, pool_max=4), min_size=1)
    yield database
    await database.close()


async def add_resource(db: Database, ctx: Context) -> uuid.UUID:
    resource_id = uuid.uuid4()
    async with db.transaction(ctx) as tx:
        await tx.conn.execute(
            "INSERT INTO resources (tenant_id, id, name, kind) VALUES ($1, $2, 'Room', 'room')",
            ctx.tenant_id,
            resource_id,
        )
    return resource_id


async def new_tenant(db: Database) -> Scope:
    """A tenant, a user and a resource, inserted in SQL as the app role."""
    ctx = Context(tenant_id=uuid.uuid4())
    user_id = uuid.uuid4()
    async with db.transaction(ctx) as tx:
        await tx.conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES ($1, 'Schema test', $2)",
            ctx.tenant_id,
            f"schema-{ctx.tenant_id.hex}",
        )
        await tx.conn.execute(
            "INSERT INTO users (tenant_id, id, email, name, role, password_hash)"
            " VALUES ($1, $2, $3, 'Tester', 'admin', 'x')",
            ctx.tenant_id,
            user_id,
            f"{user_id.hex}@example.test",
        )
    return Scope(ctx=ctx, user_id=user_id, resource_id=await add_resource(db, ctx))


async def insert_booking(
    conn: asyncpg.Connection | Tx,
    scope: Scope,
    period: str | asyncpg.Range,
    *,
    status: str = "confirmed",
    resource_id: uuid.UUID | None = None,
) -> uuid.UUID:
    booking_id = uuid.uuid4()
    # A literal goes in as text so PostgreSQL parses it, exactly as written.
    cast = "$5::text::tstzrange" if isinstance(period, str) else "$5::tstzrange"
    await conn.execute(
        "INSERT INTO bookings (tenant_id, id, number, resource_id, requester_id, period, status)"
        " VALUES ($1, $2, (SELECT coalesce(max(number), 0) + 1 FROM bookings), $3, $4,"
        f" {cast}, $6)",
        scope.ctx.tenant_id,
        booking_id,
        resource_id or scope.resource_id,
        scope.user_id,
        period,
        status,
    )
    return booking_id


async def book(db: Database, scope: Scope, start: int, end: int, **kwargs: Any) -> uuid.UUID:
    async with db.transaction(scope.ctx) as tx:
        return await insert_booking(tx.conn, scope, asyncpg.Range(at(start), at(end)), **kwargs)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(BLOCKING, BLOCKING)))
async def test_overlap_between_blocking_bookings_is_rejected(
    db: Database, first: str, second: str
) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 10, 12, status=first)
    with pytest.raises(asyncpg.ExclusionViolationError) as caught:
        await book(db, scope, 11, 13, status=second)
    assert caught.value.sqlstate == "23P01"
    assert caught.value.constraint_name == "bookings_no_overlap"


async def test_contained_and_identical_periods_are_rejected(db: Database) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 9, 17)
    for start, end in ((9, 17), (10, 11), (8, 18), (16, 20)):
        with pytest.raises(asyncpg.ExclusionViolationError):
            await book(db, scope, start, end)


async def test_back_to_back_bookings_are_allowed(db: Database) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 10, 11)
    await book(db, scope, 11, 12)
    await book(db, scope, 9, 10)


@pytest.mark.parametrize("status", NON_BLOCKING)
async def test_non_blocking_bookings_do_not_conflict(db: Database, status: str) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 10, 12, status=status)
    await book(db, scope, 10, 12, status=status)
    await book(db, scope, 11, 13, status="confirmed")
    await book(db, scope, 9, 14, status=status)


async def test_reviving_a_cancelled_booking_into_a_taken_slot_is_rejected(db: Database) -> None:
    scope = await new_tenant(db)
    cancelled = await book(db, scope, 10, 12, status="cancelled")
    await book(db, scope, 11, 13, status="pending")
    with pytest.raises(asyncpg.ExclusionViolationError):
        async with db.transaction(scope.ctx) as tx:
            await tx.conn.execute(
                "UPDATE bookings SET status = 'confirmed' WHERE tenant_id = $1 AND id = $2",
                scope.ctx.tenant_id,
                cancelled,
            )


async def test_same_slot_on_another_resource_is_allowed(db: Database) -> None:
    scope = await new_tenant(db)
    other = await add_resource(db, scope.ctx)
    await book(db, scope, 10, 12)
    await book(db, scope, 10, 12, resource_id=other)


async def test_same_slot_in_another_tenant_is_allowed(db: Database) -> None:
    first, second = await new_tenant(db), await new_tenant(db)
    # Even with the same resource id: tenant_id leads the exclusion key.
    twin = Scope(ctx=second.ctx, user_id=second.user_id, resource_id=first.resource_id)
    async with db.transaction(twin.ctx) as tx:
        await tx.conn.execute(
            "INSERT INTO resources (tenant_id, id, name, kind) VALUES ($1, $2, 'Twin', 'room')",
            twin.ctx.tenant_id,
            twin.resource_id,
        )
    await book(db, first, 10, 12)
    await book(db, second, 10, 12)
    await book(db, twin, 10, 12)


@pytest.mark.parametrize(
    "period",
    [
        "empty",
        "[2030-01-07 10:00Z,2030-01-07 10:00Z)",
        "[2030-01-07 10:00Z,2030-01-07 11:00Z]",
        "(2030-01-07 10:00Z,2030-01-07 11:00Z)",
        "[2030-01-07 10:00Z,)",
        "(,2030-01-07 11:00Z)",
    ],
)
async def test_degenerate_periods_fail_the_check(db: Database, period: str) -> None:
    scope = await new_tenant(db)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        async with db.transaction(scope.ctx) as tx:
            await insert_booking(tx.conn, scope, period)
    assert caught.value.constraint_name == "bookings_period_check"


async def test_reversed_period_cannot_be_constructed(db: Database) -> None:
    scope = await new_tenant(db)
    with pytest.raises(asyncpg.DataError, match="range lower bound must be less than"):
        async with db.transaction(scope.ctx) as tx:
            await insert_booking(tx.conn, scope, "[2030-01-07 11:00Z,2030-01-07 10:00Z)")
    with pytest.raises(asyncpg.DataError, match="range lower bound must be less than"):
        async with db.transaction(scope.ctx) as tx:
            await tx.conn.execute("SELECT tstzrange($1, $2)", at(11), at(10))


async def test_run_translates_overlap_to_booking_conflict(db: Database) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 10, 12)

    async def overlapping(tx: Tx) -> uuid.UUID:
        return await insert_booking(tx, scope, asyncpg.Range(at(11), at(12)))

    with pytest.raises(errors.BookingConflict) as caught:
        await db.run(scope.ctx, overlapping)
    assert caught.value.status == 409
    assert isinstance(caught.value.__cause__, asyncpg.ExclusionViolationError)


async def test_run_translates_raw_connection_errors_too(db: Database) -> None:
    scope = await new_tenant(db)
    await book(db, scope, 10, 12)

    async def overlapping(tx: Tx) -> uuid.UUID:
        return await insert_booking(await tx.connection(), scope, asyncpg.Range(at(10), at(11)))

    with pytest.raises(errors.BookingConflict):
        await db.run(scope.ctx, overlapping)


async def test_run_translates_empty_period_to_invalid_period(db: Database) -> None:
    scope = await new_tenant(db)

    async def empty(tx: Tx) -> uuid.UUID:
        return await insert_booking(tx, scope, asyncpg.Range(at(10), at(10)))

    with pytest.raises(errors.InvalidPeriod) as caught:
        await db.run(scope.ctx, empty)
    assert caught.value.status == 422
