"""Migrations: recorded with checksums, refused when behind, ahead or edited."""

from __future__ import annotations

import asyncio
import functools
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from server import migrations
from server.migrations import MigrationError
from tests.cli import run_cli, run_serve
from tests.conftest import _with_database, scratch_database

FIRST = migrations.discover()[0].filename
# High numbers, so they never collide with real migrations added later.
EXTRA = "9001_test_extra.sql"
FUTURE = "9002_test_future.sql"


def quiet(_: str) -> None:
    pass


@pytest.fixture
async def scratch(services: tuple[str, str]) -> AsyncIterator[str]:
    """A fresh, empty database of this test's own."""
    async with scratch_database(services[0], "booking_mig", migrate=False) as url:
        yield url


def migrations_folder(tmp_path: Path, **extra: str) -> Path:
    """A copy of sql/migrations plus ``extra`` files {filename: sql}."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.MIGRATIONS_DIR, folder)
    for filename, sql in extra.items():
        (folder / filename).write_text(sql)
    return folder


def use_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    real = migrations.discover
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", folder)
    monkeypatch.setattr(migrations, "discover", functools.partial(real, folder))


async def verify(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrations.check_schema(conn)
    finally:
        await conn.close()


async def recorded(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    return [(row["version"], row["name"]) for row in rows]


async def test_migrate_twice_is_a_no_op(scratch: str) -> None:
    files = migrations.discover()
    applied = await migrations.migrate(scratch, progress=quiet)
    assert [m.filename for m in applied] == [m.filename for m in files]
    messages: list[str] = []
    assert await migrations.migrate(scratch, progress=messages.append) == []
    assert messages == ["schema is up to date"]
    assert await recorded(scratch) == [(m.version, m.name) for m in files]
    await verify(scratch)


async def test_fresh_database_is_pending(scratch: str) -> None:
    with pytest.raises(MigrationError, match=f"pending: {FIRST}"):
        await verify(scratch)


async def test_edited_migration_is_refused(
    scratch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrations.migrate(scratch, progress=quiet)
    folder = migrations_folder(tmp_path)
    with (folder / FIRST).open("a") as file:
        file.write("\n-- an innocent-looking edit\n")
    use_folder(monkeypatch, folder)
    with pytest.raises(MigrationError, match=f"{FIRST} was edited"):
        await verify(scratch)
    with pytest.raises(MigrationError, match=f"{FIRST} was edited"):
        await migrations.migrate(scratch, progress=quiet)


async def test_migration_missing_from_disk_is_refused(
    scratch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        use_folder(patch, migrations_folder(tmp_path, **{EXTRA: "CREATE TABLE extra (id int);"}))
        applied = await migrations.migrate(scratch, progress=quiet)
        assert applied[-1].filename == EXTRA
        await verify(scratch)
    with pytest.raises(MigrationError, match=f"ahead of the code: {EXTRA}") as caught:
        await verify(scratch)
    assert "\n" not in str(caught.value)
    with pytest.raises(MigrationError, match=EXTRA):
        await migrations.migrate(scratch, progress=quiet)


async def test_pending_migration_is_named_and_then_applied(
    scratch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrations.migrate(scratch, progress=quiet)
    use_folder(
        monkeypatch, migrations_folder(tmp_path, **{EXTRA: "SELECT 1;", FUTURE: "SELECT 2;"})
    )
    with pytest.raises(MigrationError, match=f"pending: {EXTRA}, {FUTURE}") as caught:
        await verify(scratch)
    assert "\n" not in str(caught.value)
    messages: list[str] = []
    applied = await migrations.migrate(scratch, progress=messages.append)
    assert [m.filename for m in applied] == [EXTRA, FUTURE]
    assert messages == [f"applying {EXTRA}", f"applying {FUTURE}"]
    await verify(scratch)


async def test_failed_migration_is_not_recorded(
    scratch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrations.migrate(scratch, progress=quiet)
    use_folder(
        monkeypatch,
        migrations_folder(tmp_path, **{EXTRA: "CREATE TABLE half (id int); SELECT 1/0;"}),
    )
    with pytest.raises(asyncpg.DivisionByZeroError):
        await migrations.migrate(scratch, progress=quiet)
    assert EXTRA.removesuffix(".sql").split("_", 1)[1] not in {
        name for _, name in await recorded(scratch)
    }
    conn = await asyncpg.connect(scratch)
    try:
        assert await conn.fetchval("SELECT to_regclass('half')") is None
    finally:
        await conn.close()
    with pytest.raises(MigrationError, match=f"pending: {EXTRA}"):
        await verify(scratch)


async def test_concurrent_migrate_applies_each_migration_once(scratch: str) -> None:
    files = migrations.discover()
    first, second = await asyncio.wait_for(
        asyncio.gather(
            migrations.migrate(scratch, progress=quiet),
            migrations.migrate(scratch, progress=quiet),
        ),
        timeout=60,
    )
    names = sorted([m.filename for m in first] + [m.filename for m in second])
    assert names == sorted(m.filename for m in files)
    assert await recorded(scratch) == [(m.version, m.name) for m in files]
    await verify(scratch)


async def test_role_creation_races_across_databases(
    services: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrators of different databases share the cluster's roles but not the lock."""
    role = f"booking_test_race_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(migrations, "APP_ROLE", role)
    conns = [await asyncpg.connect(services[0]) for _ in range(4)]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(migrations.ensure_app_role(conn) for conn in conns)), timeout=30
        )
        row = await conns[0].fetchrow(
            "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, oid, 'MEMBER') AS member"
            " FROM pg_roles WHERE rolname = $1",
            role,
        )
        assert row is not None
        assert (row["rolsuper"], row["rolbypassrls"], row["member"]) == (False, False, True)
    finally:
        for conn in conns:
            await conn.close()
        conn = await asyncpg.connect(services[0])
        try:
            await conn.execute(f"DROP ROLE IF EXISTS {role}")
        finally:
            await conn.close()


def serve(database_url: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    return run_serve(
        BOOKING_DATABASE_URL=database_url,
        BOOKING_REDIS_URL=redis_url,
        BOOKING_JWT_SECRET="x" * 40,
    )


@pytest.mark.parametrize("state", ["pending", "edited", "ahead"])
async def test_serve_refuses_a_schema_out_of_step(
    scratch: str, services: tuple[str, str], state: str
) -> None:
    expected = FIRST
    if state != "pending":
        await migrations.migrate(scratch, progress=quiet)
        conn = await asyncpg.connect(scratch)
        try:
            if state == "edited":
                await conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
            else:
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum)"
                    " VALUES (9002, 'test_future', 'x')"
                )
                expected = FUTURE
        finally:
            await conn.close()
    result = await asyncio.to_thread(serve, scratch, services[1])
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert result.stdout == ""


async def test_serve_and_migrate_report_a_missing_database_in_one_line(
    services: tuple[str, str],
) -> None:
    name = f"booking_missing_{uuid.uuid4().hex[:10]}"
    url = _with_database(services[0], name)
    result = await asyncio.to_thread(serve, url, services[1])
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert name in result.stderr
    migrate = await asyncio.to_thread(run_cli, "migrate", BOOKING_DATABASE_URL=url)
    assert migrate.returncode != 0
    assert migrate.stderr.count("\n") == 1, migrate.stderr
    assert name in migrate.stderr
