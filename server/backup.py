"""``backup`` and ``restore``: one file holding the data and the schema version it needs.

The file is a tar archive of ``manifest.json`` (format, when, the applied migrations with
their checksums) and ``data.dump`` (``pg_dump --format=custom`` of the whole database).
A restore reads the manifest first: a backup whose migrations are ahead of the code's or
differ from them is refused before anything is touched; an older one is restored and then
migrated. Both need a role that bypasses row-level security (a superuser, or the owner
role of the compose stack), since every tenant table forces it.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from server import migrations
from server.migrations import MigrationError

FORMAT = "booking-backup/1"
MANIFEST = "manifest.json"
DATA = "data.dump"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message is one line."""


@dataclass(frozen=True, slots=True)
class Manifest:
    created_at: str
    migrations: list[tuple[int, str, str]]  # (version, name, checksum)

    def encode(self) -> bytes:
        body = {
            "format": FORMAT,
            "created_at": self.created_at,
            "migrations": [{"version": v, "name": n, "checksum": c} for v, n, c in self.migrations],
        }
        return json.dumps(body, indent=2).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Manifest:
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise BackupError(f"not a {FORMAT} file (format {body.get('format')!r})")
            found = [(int(m["version"]), m["name"], m["checksum"]) for m in body["migrations"]]
            return cls(created_at=str(body["created_at"]), migrations=found)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the backup's manifest is unreadable ({exc})") from None


def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: on PATH, else the newest of the machine's versions."""
    if found := shutil.which(name):
        return found
    bindirs = sorted(glob.glob(PG_BIN_GLOB), key=_version, reverse=True)
    for bindir in bindirs:
        path = Path(bindir) / name
        if path.is_file():
            return str(path)
    raise BackupError(f"{name} not found (Debian: apt-get install postgresql-client)")


def _version(bindir: str) -> list[int]:
    return [int(part) for part in Path(bindir).parent.name.split(".") if part.isdigit()]


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {detail}")


async def backup(url: str, out: Path) -> Manifest:
    """Write the database at ``url`` to ``out`` (through a temporary file beside it)."""
    conn = await asyncpg.connect(url)
    try:
        applied = await migrations.applied_rows(conn)
    finally:
        await conn.close()
    if not applied:
        raise BackupError("the database has no schema_migrations: nothing to back up")
    manifest = Manifest(created_at=datetime.now(UTC).isoformat(), migrations=applied)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as work:
        dump = Path(work) / DATA
        _run([pg_tool("pg_dump"), "--format=custom", f"--file={dump}", f"--dbname={url}"])
        partial = Path(work) / out.name
        with tarfile.open(partial, "w") as archive:
            info = tarfile.TarInfo(MANIFEST)
            raw = manifest.encode()
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
            archive.add(dump, arcname=DATA)
        partial.chmod(0o600)
        os.replace(partial, out)
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.decode(member.read())
    except (tarfile.TarError, KeyError) as exc:
        raise BackupError(f"{path} is not a backup made by `python -m server backup`") from exc


def check_against_code(manifest: Manifest) -> None:
    """Refuse a backup whose migrations the code lacks or has in another version."""
    code = {m.version: m for m in migrations.discover()}
    for version, name, checksum in manifest.migrations:
        filename = f"{version:04d}_{name}.sql"
        mine = code.get(version)
        if mine is None:
            raise MigrationError(
                f"the backup is ahead of the code: {filename} is not in sql/migrations"
            )
        if mine.checksum != checksum or mine.name != name:
            raise MigrationError(f"the backup's {filename} differs from the code's")


def _extract_data(path: Path, target: Path) -> None:
    with tarfile.open(path, "r") as archive:
        source = archive.extractfile(DATA)
        if source is None:
            raise BackupError(f"{path} holds no {DATA}")
        with source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)


async def _is_empty(conn: asyncpg.Connection) -> bool:
    count = await conn.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
    )
    return bool(count == 0)


async def _clear(conn: asyncpg.Connection) -> None:
    """An empty public schema as a new database has it (PostgreSQL 15's defaults)."""
    await conn.execute(
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
        " ALTER SCHEMA public OWNER TO pg_database_owner;"
        " GRANT USAGE ON SCHEMA public TO PUBLIC;"
    )


async def restore(
    url: str, path: Path, *, replace: bool = False, progress: Callable[[str], None] = print
) -> Manifest:
    """Restore ``path`` into the database at ``url``, then apply pending migrations."""
    manifest = read_manifest(path)
    check_against_code(manifest)
    conn = await asyncpg.connect(url)
    try:
        if not await _is_empty(conn):
            if not replace:
                raise BackupError(
                    "the database is not empty; restore into an empty one, or pass --replace"
                )
            progress("dropping the database's current contents (--replace)")
            await _clear(conn)
        # The dump grants to the application role; roles live outside a database.
        await migrations.ensure_app_role(conn)
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory() as work:
        _extract_data(path, Path(work) / DATA)
        progress(f"restoring {path.name} (taken {manifest.created_at})")
        _run(
            [
                pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={url}",
                str(Path(work) / DATA),
            ]
        )
    await migrations.migrate(url, progress=progress)
    return manifest
