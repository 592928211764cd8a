"""Forward-only migrations from ``sql/migrations``, recorded with checksums."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from server.config import Settings
from server.db import APP_ROLE, Database
from server.sql import SQL_DIR

MIGRATIONS_DIR = SQL_DIR / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; two migrators on one database queue on it.
_LOCK_KEY = 0x626F6F6B

_BOOTSTRAP = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
-- A login role holding only booking_app's rights checks the schema version at start.
GRANT SELECT ON schema_migrations TO booking_app;
"""
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationError(Exception):
    """The schema and the code disagree; the message names the file."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path
    checksum: str

    @property
    def filename(self) -> str:
        return self.path.name


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    if not folder.is_dir():
        raise MigrationError(f"no migrations folder at {folder}: is the sql package installed?")
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found.append(Migration(int(match.group(1)), match.group(2), path, checksum))
    if not found:
        raise MigrationError(f"no migration files in {folder}: is the sql package installed?")
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


async def _applied(conn: asyncpg.Connection) -> dict[int, asyncpg.Record]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    return {row["version"]: row for row in rows}


async def applied_rows(conn: asyncpg.Connection) -> list[tuple[int, str, str]]:
    """(version, name, checksum) of every applied migration, in order."""
    rows = await _applied(conn)
    return [(v, rows[v]["name"], rows[v]["checksum"]) for v in sorted(rows)]


def _compare(files: list[Migration], applied: dict[int, asyncpg.Record]) -> list[Migration]:
    """Raise on edited, missing or unknown migrations; return the pending ones."""
    by_version = {m.version: m for m in files}
    for version, row in sorted(applied.items()):
        name = f"{version:04d}_{row['name']}.sql"
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"the database is ahead of the code: {name} is applied but not in sql/migrations"
            )
        if migration.checksum != row["checksum"]:
            raise MigrationError(f"{migration.filename} was edited after it was applied")
    return [m for m in files if m.version not in applied]


async def ensure_app_role(conn: asyncpg.Connection) -> None:
    """The NOLOGIN application role every query runs as, and membership in it."""
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE)
    if not exists:
        try:
            await conn.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            # Roles are cluster-wide and the lock is per database: another database's
            # migrator made it first (a racing CREATE ROLE fails on pg_authid's index).
            pass
    member = await conn.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", APP_ROLE)
    if not member:
        await conn.execute(f"GRANT {APP_ROLE} TO current_user")


async def _ensure_login(conn: asyncpg.Connection, login_url: str) -> str:
    """The user of ``login_url`` as a login role with its password, a member of the app
    role and nothing more (no superuser, no BYPASSRLS, no CREATEDB/CREATEROLE)."""
    parts = urlsplit(login_url)
    name = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if not _ROLE_NAME.match(name) or not password:
        raise MigrationError(
            "BOOKING_APP_LOGIN_URL must name a user (lower-case letters, digits, _) and a password"
        )
    if name == await conn.fetchval("SELECT current_user"):
        raise MigrationError("BOOKING_APP_LOGIN_URL must name another user than the owner")
    exists = await conn.fetchrow("SELECT rolsuper FROM pg_roles WHERE rolname = $1", name)
    if exists is not None and exists["rolsuper"]:
        # Never demote an administrator by naming it here by mistake.
        raise MigrationError(f"BOOKING_APP_LOGIN_URL names the superuser {name}")
    verb = "ALTER" if exists else "CREATE"
    attributes = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT"
    statement = await conn.fetchval(
        f"SELECT format('{verb} ROLE %I {attributes} PASSWORD %L', $1::text, $2::text)",
        name,
        password,
    )
    await conn.execute(statement)
    await conn.execute(f'GRANT {APP_ROLE} TO "{name}"')
    return name


async def migrate(
    url: str, *, login_url: str | None = None, progress: Callable[[str], None] = print
) -> list[Migration]:
    """Apply pending migrations in order, each in its own transaction, under a lock; then
    create or update the login role of ``login_url`` when one is given."""
    files = discover()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await ensure_app_role(conn)
            await conn.execute(_BOOTSTRAP)
            pending = _compare(files, await _applied(conn))
            for migration in pending:
                progress(f"applying {migration.filename}")
                async with conn.transaction():
                    await conn.execute(migration.path.read_text())
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
            if not pending:
                progress("schema is up to date")
            if login_url:
                name = await _ensure_login(conn, login_url)
                progress(f"login role {name} holds the rights of {APP_ROLE} only")
            return pending
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()


async def check_schema(conn: asyncpg.Connection) -> None:
    """Refuse a schema that is behind, ahead of, or edited relative to the code."""
    pending = _compare(discover(), await _applied(conn))
    if pending:
        names = ", ".join(m.filename for m in pending)
        raise MigrationError(f"migrations are pending: {names}; run `python -m server migrate`")


async def open_database(settings: Settings, *, min_size: int | None = None) -> Database:
    """Connect, then refuse a schema out of step with the code or a role that skips RLS."""
    db = await Database.connect(settings, min_size=min_size)
    try:
        async with db.pool.acquire() as conn:
            await check_schema(conn)
        await db.check_role()
    except BaseException:
        await db.close()
        raise
    return db
