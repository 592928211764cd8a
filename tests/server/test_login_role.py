"""`migrate` with BOOKING_APP_LOGIN_URL: a login role holding only booking_app's rights."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest

from server import migrations
from server.app import open_database
from server.config import Settings
from server.db import APP_ROLE
from server.migrations import MigrationError
from tests.cli import run_cli
from tests.conftest import scratch_database


def login_url(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


@pytest.fixture
async def scratch(services: tuple[str, str]) -> AsyncIterator[str]:
    async with scratch_database(services[0], "booking_login", migrate=False) as url:
        yield url


@pytest.fixture
async def role_name(services: tuple[str, str]) -> AsyncIterator[str]:
    name = f"booking_login_{uuid.uuid4().hex[:8]}"
    yield name
    conn = await asyncpg.connect(services[0])
    try:
        await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await conn.close()


async def attributes(url: str, name: str) -> asyncpg.Record:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,"
            " ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b"
            "       ON b.oid = m.roleid WHERE m.member = r.oid) AS member_of"
            " FROM pg_roles r WHERE rolname = $1",
            name,
        )
    finally:
        await conn.close()
    assert row is not None
    return row


async def test_the_login_role_has_the_app_roles_rights_only(
    scratch: str, role_name: str, settings: Settings
) -> None:
    url = login_url(scratch, role_name, "first-Password-1")
    messages: list[str] = []
    await migrations.migrate(scratch, login_url=url, progress=messages.append)
    assert messages[-1] == f"login role {role_name} holds the rights of {APP_ROLE} only"
    row = await attributes(scratch, role_name)
    assert row["rolcanlogin"]
    assert not any(row[k] for k in ("rolsuper", "rolbypassrls", "rolcreatedb", "rolcreaterole"))
    assert row["member_of"] == [APP_ROLE]

    # The server starts with it: schema version readable, role cannot skip RLS.
    db = await open_database(msgspec.structs.replace(settings, database_url=url))
    try:
        async with db.transaction(None) as tx:
            assert await tx.fetchval("SELECT current_user") == APP_ROLE
        async with db.pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE owned_by_login (x int)")
    finally:
        await db.close()

    # Migrating again keeps the role and takes a new password.
    await migrations.migrate(scratch, login_url=login_url(scratch, role_name, "second-Pw-2"))
    assert (await attributes(scratch, role_name))["member_of"] == [APP_ROLE]


async def test_a_login_url_without_a_password_or_naming_the_owner_is_refused(
    scratch: str, services: tuple[str, str]
) -> None:
    no_password = login_url(scratch, "booking_nopass", "").replace(":@", "@")
    with pytest.raises(MigrationError, match=r"name a user .* and a password"):
        await migrations.migrate(scratch, login_url=no_password, progress=lambda _: None)
    owner = urlsplit(services[0]).username or "postgres"
    with pytest.raises(MigrationError, match="another user than the owner"):
        await migrations.migrate(
            scratch, login_url=login_url(scratch, owner, "x-Password-1"), progress=lambda _: None
        )


async def test_an_existing_superuser_is_never_demoted(scratch: str, role_name: str) -> None:
    conn = await asyncpg.connect(scratch)
    try:
        await conn.execute(f'CREATE ROLE "{role_name}" SUPERUSER')
    finally:
        await conn.close()
    with pytest.raises(MigrationError, match="names the superuser"):
        await migrations.migrate(
            scratch,
            login_url=login_url(scratch, role_name, "x-Password-1"),
            progress=lambda _: None,
        )
    assert (await attributes(scratch, role_name))["rolsuper"]


def test_migrate_command_takes_the_login_url(scratch: str, role_name: str) -> None:
    result = run_cli(
        "migrate",
        BOOKING_DATABASE_URL=scratch,
        BOOKING_APP_LOGIN_URL=login_url(scratch, role_name, "cli-Password-3"),
    )
    assert result.returncode == 0, result.stderr
    assert f"login role {role_name} holds the rights of {APP_ROLE} only" in result.stdout
