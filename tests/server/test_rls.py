"""Tenant isolation in the database: row-level security as the non-owner app role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest

from server.config import Settings
from server.db import APP_ROLE, Context, Database


class Tenant(msgspec.Struct, frozen=True):
    ctx: Context
    resource_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.ctx.tenant_id


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(msgspec.structs.replace(settings, pool_max=4), min_size=1)
    yield database
    await database.close()


@pytest.fixture
async def single(database_url: str) -> AsyncIterator[Database]:
    """A pool of one connection, so consecutive transactions share it."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    database = Database(pool)
    yield database
    await database.close()


async def new_tenant(db: Database) -> Tenant:
    ctx = Context(tenant_id=uuid.uuid4())
    resource_id = uuid.uuid4()
    async with db.transaction(ctx) as tx:
        await tx.conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES ($1, 'RLS test', $2)",
            ctx.tenant_id,
            f"rls-{ctx.tenant_id.hex}",
        )
        await tx.conn.execute(
            "INSERT INTO resources (tenant_id, id, name, kind) VALUES ($1, $2, 'Desk', 'desk')",
            ctx.tenant_id,
            resource_id,
        )
    return Tenant(ctx=ctx, resource_id=resource_id)


async def visible(db: Database, ctx: Context | None, *tenants: Tenant) -> set[uuid.UUID]:
    """Which of these tenants' resources (and tenant rows) the transaction can see."""
    ids = [t.resource_id for t in tenants] + [t.id for t in tenants]
    async with db.transaction(ctx) as tx:
        rows = await tx.conn.fetch(
            "SELECT id FROM resources WHERE id = any($1::uuid[])"
            " UNION ALL SELECT id FROM tenants WHERE id = any($1::uuid[])",
            ids,
        )
    return {row["id"] for row in rows}


async def test_app_role_sees_only_the_transaction_tenant(db: Database) -> None:
    a, b = await new_tenant(db), await new_tenant(db)
    assert await visible(db, a.ctx, a, b) == {a.id, a.resource_id}
    assert await visible(db, b.ctx, a, b) == {b.id, b.resource_id}


async def test_transaction_runs_as_app_role(db: Database) -> None:
    a = await new_tenant(db)
    async with db.transaction(a.ctx) as tx:
        row = await tx.conn.fetchrow("SELECT current_user AS name, app_current_tenant() AS tenant")
    assert row is not None
    assert row["name"] == APP_ROLE
    assert row["tenant"] == a.id


async def test_no_tenant_sees_nothing(db: Database) -> None:
    a = await new_tenant(db)
    assert await visible(db, None, a) == set()
    async with db.transaction(None) as tx:
        assert await tx.conn.fetchval("SELECT count(*) FROM tenants") == 0
        assert await tx.conn.fetchval("SELECT count(*) FROM resources") == 0


async def test_reused_connection_forgets_the_previous_tenant(
    single: Database, db: Database
) -> None:
    a = await new_tenant(db)
    assert await visible(single, a.ctx, a) == {a.id, a.resource_id}
    assert await visible(single, None, a) == set()
    # And outside any Database transaction the settings are gone too.
    async with single.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT current_user AS name, current_setting('app.tenant_id', true) AS tenant"
        )
    assert row is not None
    assert row["name"] != APP_ROLE
    assert not row["tenant"]


async def test_role_without_tenant_setting_sees_nothing(database_url: str, db: Database) -> None:
    a = await new_tenant(db)
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('role', $1, true)", APP_ROLE)
            assert (
                await conn.fetchval("SELECT count(*) FROM resources WHERE id = $1", a.resource_id)
                == 0
            )
            assert await conn.fetchval("SELECT count(*) FROM tenants") == 0
    finally:
        await conn.close()


async def test_cannot_insert_into_another_tenant(db: Database) -> None:
    a, b = await new_tenant(db), await new_tenant(db)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(a.ctx) as tx:
            await tx.conn.execute(
                "INSERT INTO resources (tenant_id, id, name, kind) VALUES ($1, $2, 'X', 'desk')",
                b.id,
                uuid.uuid4(),
            )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(a.ctx) as tx:
            await tx.conn.execute(
                "INSERT INTO tenants (id, name, slug) VALUES ($1, 'X', $2)",
                uuid.uuid4(),
                f"rls-{uuid.uuid4().hex}",
            )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(None) as tx:
            await tx.conn.execute(
                "INSERT INTO tenants (id, name, slug) VALUES ($1, 'X', $2)",
                uuid.uuid4(),
                f"rls-{uuid.uuid4().hex}",
            )


async def test_cannot_move_a_row_into_another_tenant(db: Database) -> None:
    a, b = await new_tenant(db), await new_tenant(db)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(a.ctx) as tx:
            await tx.conn.execute(
                "UPDATE resources SET tenant_id = $1 WHERE id = $2", b.id, a.resource_id
            )
    assert await visible(db, a.ctx, a) == {a.id, a.resource_id}


async def test_cannot_touch_another_tenants_rows(db: Database) -> None:
    a, b = await new_tenant(db), await new_tenant(db)
    async with db.transaction(a.ctx) as tx:
        assert (
            await tx.conn.execute("UPDATE resources SET name = 'Mine' WHERE id = $1", b.resource_id)
            == "UPDATE 0"
        )
        assert await tx.conn.execute("UPDATE tenants SET name = 'Mine' WHERE id = $1", b.id) == (
            "UPDATE 0"
        )
        assert (
            await tx.conn.execute("DELETE FROM resources WHERE id = $1", b.resource_id)
            == "DELETE 0"
        )
    assert await visible(db, b.ctx, b) == {b.id, b.resource_id}


async def test_every_tenant_table_forces_row_level_security(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                     AND (p.polroles @> ARRAY[0::oid]
                          OR p.polroles @> ARRAY[(SELECT oid FROM pg_roles
                                                  WHERE rolname = $1)])) AS app_policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND (c.relname = 'tenants' OR EXISTS (
                  SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                  AND a.attname = 'tenant_id' AND NOT a.attisdropped))
            ORDER BY c.relname
            """,
            APP_ROLE,
        )
    finally:
        await conn.close()
    names = {row["relname"] for row in rows}
    assert {"tenants", "bookings", "users", "resources", "events", "audit_log"} <= names
    unguarded = [
        row["relname"]
        for row in rows
        if not (row["relrowsecurity"] and row["relforcerowsecurity"] and row["app_policies"])
    ]
    assert unguarded == []


async def test_tenant_id_leads_every_key(database_url: str) -> None:
    """tenant_id is part of every unique, foreign and exclusion key of a tenant table."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """
            WITH tenant_tables AS (
                SELECT c.oid, c.relname, a.attnum
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                  AND NOT c.relispartition
            )
            SELECT t.relname, con.conname AS key
            FROM tenant_tables t JOIN pg_constraint con ON con.conrelid = t.oid
            WHERE con.contype IN ('p', 'u', 'f', 'x') AND NOT t.attnum = any(con.conkey)
            UNION ALL
            SELECT t.relname, i.indexrelid::regclass::text
            FROM tenant_tables t JOIN pg_index i ON i.indrelid = t.oid
            WHERE i.indisunique AND NOT t.attnum = any(i.indkey::int2[])
            """
        )
    finally:
        await conn.close()
    assert [(row["relname"], row["key"]) for row in rows] == []


async def test_partitions_are_not_directly_reachable(database_url: str) -> None:
    """Partitions skip the parent's policies, so the app role must not have them at all."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relispartition
              AND (has_table_privilege($1, c.oid, 'SELECT')
                   OR has_table_privilege($1, c.oid, 'INSERT')
                   OR has_table_privilege($1, c.oid, 'UPDATE')
                   OR has_table_privilege($1, c.oid, 'DELETE'))
            """,
            APP_ROLE,
        )
    finally:
        await conn.close()
    assert [row["relname"] for row in rows] == []


async def test_app_role_cannot_bypass_rls(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
        )
        owns = await conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1",
            APP_ROLE,
        )
    finally:
        await conn.close()
    assert row is not None
    assert row["rolsuper"] is False
    assert row["rolbypassrls"] is False
    assert owns == 0


async def test_check_role_passes_for_app_role(db: Database) -> None:
    await db.check_role()


async def test_check_role_refuses_a_superuser(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            name, is_super = await conn.fetchrow(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            )
        if not is_super:
            pytest.skip("the test database user is not a superuser")
        with pytest.raises(RuntimeError, match="row-level security"):
            await Database(pool, app_role=name).check_role()
    finally:
        await pool.close()


async def test_check_role_refuses_a_bypassrls_role(database_url: str) -> None:
    role = f"booking_test_bypass_{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            try:
                await conn.execute(f"CREATE ROLE {role} NOLOGIN BYPASSRLS")
                await conn.execute(f"GRANT {role} TO current_user")
            except asyncpg.InsufficientPrivilegeError:
                pytest.skip("the test database user may not create a BYPASSRLS role")
        with pytest.raises(RuntimeError, match=role):
            await Database(pool, app_role=role).check_role()
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await pool.close()
