"""``backup`` / ``restore``: the data and its schema version travel together."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import pytest

from server import backup, migrations
from server.config import Settings
from server.db import Database
from server.seed import seed_demo
from tests.cli import run_cli
from tests.conftest import scratch_database


def quiet(_: str) -> None:
    pass


@pytest.fixture
async def source(services: tuple[str, str], settings: Settings) -> AsyncIterator[str]:
    """A migrated database holding the demo tenant."""
    async with scratch_database(services[0], "booking_bk_src") as url:
        db = await Database.connect(msgspec.structs.replace(settings, database_url=url))
        try:
            await seed_demo(db, settings, "Backup-Pass-1!")
        finally:
            await db.close()
        yield url


@pytest.fixture
async def target(services: tuple[str, str]) -> AsyncIterator[str]:
    async with scratch_database(services[0], "booking_bk_dst", migrate=False) as url:
        yield url


async def table_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        names = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
        )
        return {
            row["relname"]: await conn.fetchval(f'SELECT count(*) FROM "{row["relname"]}"')
            for row in names
        }
    finally:
        await conn.close()


def rewrite_manifest(path: Path, out: Path, change: dict[str, object]) -> None:
    """A copy of a backup whose manifest has ``change`` applied to its last migration."""
    with tarfile.open(path) as archive:
        manifest = json.loads(archive.extractfile(backup.MANIFEST).read())  # type: ignore[union-attr]
        data = archive.extractfile(backup.DATA).read()  # type: ignore[union-attr]
    manifest["migrations"][-1].update(change)
    with tarfile.open(out, "w") as archive:
        for name, raw in ((backup.MANIFEST, json.dumps(manifest).encode()), (backup.DATA, data)):
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))


async def test_round_trip_of_a_populated_database(
    source: str, target: str, tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "booking.backup"
    manifest = await backup.backup(source, path)
    assert [v for v, _, _ in manifest.migrations] == [m.version for m in migrations.discover()]
    await backup.restore(target, path, progress=quiet)
    before = await table_counts(source)
    assert before["bookings"] > 0 and before["users"] == 4 and before["resources"] == 6
    assert await table_counts(target) == before
    # The restored database serves: schema current, app role intact, RLS in force.
    db = await Database.connect(msgspec.structs.replace(settings, database_url=target))
    try:
        async with db.pool.acquire() as conn:
            await migrations.check_schema(conn)
        await db.check_role()
        async with db.transaction(None) as tx:
            assert await tx.fetchval("SELECT count(*) FROM users") == 0
    finally:
        await db.close()


async def test_never_into_a_non_empty_database_without_replace(source: str, tmp_path: Path) -> None:
    path = tmp_path / "booking.backup"
    await backup.backup(source, path)
    refused = run_cli("restore", str(path), BOOKING_DATABASE_URL=source)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: the database is not empty; restore into an empty one, or pass --replace"
    )
    replaced = run_cli("restore", str(path), "--replace", BOOKING_DATABASE_URL=source)
    assert replaced.returncode == 0, replaced.stderr
    assert "schema is up to date" in replaced.stdout
    assert (await table_counts(source))["users"] == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"version": 9999, "name": "from_the_future"},
            "error: the backup is ahead of the code: 9999_from_the_future.sql"
            " is not in sql/migrations",
        ),
        ({"checksum": "0" * 64}, "differs from the code's"),
    ],
)
async def test_a_backup_ahead_of_or_different_from_the_code_is_refused(
    source: str, target: str, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "booking.backup"
    await backup.backup(source, path)
    odd = tmp_path / "odd.backup"
    rewrite_manifest(path, odd, change)
    refused = run_cli("restore", str(odd), BOOKING_DATABASE_URL=target)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert message in refused.stderr
    assert await table_counts(target) == {}


async def test_an_older_backup_is_restored_then_migrated(
    services: tuple[str, str], target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = migrations.discover()
    path = tmp_path / "old.backup"
    async with scratch_database(services[0], "booking_bk_old", migrate=False) as old:
        with monkeypatch.context() as patch:
            patch.setattr(migrations, "discover", lambda: files[:-1])
            await migrations.migrate(old, progress=quiet)
        await backup.backup(old, path)
    messages: list[str] = []
    await backup.restore(target, path, progress=messages.append)
    assert f"applying {files[-1].filename}" in messages
    conn = await asyncpg.connect(target)
    try:
        await migrations.check_schema(conn)
    finally:
        await conn.close()


def test_backup_command_writes_one_file(source: str, tmp_path: Path) -> None:
    out = tmp_path / "backups" / "booking.backup"
    done = run_cli("backup", "--out", str(out), BOOKING_DATABASE_URL=source)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backup of schema version")
    assert backup.read_manifest(out).migrations[-1][0] == migrations.discover()[-1].version
    assert oct(out.stat().st_mode & 0o777) == "0o600"
