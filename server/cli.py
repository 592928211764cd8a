"""Command line: ``python -m server serve|migrate|dev|seed|verify``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import asyncpg
import uvicorn

from server import migrations
from server.app import create_app, open_database
from server.config import ConfigError, Settings, load_settings
from server.devrun import run_dev, seed
from server.devservices import DEFAULT_DATA_DIR, ServicesError
from server.errors import NotFound
from server.solver.verify import Report, verify


def _settings(**overrides: str) -> Settings:
    try:
        return load_settings(os.environ, **overrides)
    except ConfigError as exc:
        _fail(str(exc))


# What stops a command with a one-line message instead of a traceback.
_EXPECTED = (
    ConfigError,
    ServicesError,
    migrations.MigrationError,
    RuntimeError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def _fail(message: str) -> NoReturn:
    line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {line}", file=sys.stderr)
    raise SystemExit(2)


async def _preflight(settings: Settings) -> None:
    db = await open_database(settings)
    await db.close()


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        asyncio.run(migrations.migrate(settings.require_database_url()))
    except _EXPECTED as exc:
        _fail(str(exc))


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        settings.require_jwt_secret()
        settings.require_redis_url()
        asyncio.run(_preflight(settings))
    except _EXPECTED as exc:
        _fail(str(exc))
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=settings.socket_compression,
        # Engine.IO enforces the exact limit; this stops a larger frame being buffered first.
        ws_max_size=settings.socket_max_message_bytes + 1024,
        proxy_headers=True,
        access_log=args.access_log,
    )


def cmd_dev(args: argparse.Namespace) -> None:
    try:
        code = run_dev(Path(args.data_dir), args.host, args.port)
    except _EXPECTED as exc:
        _fail(str(exc))
    raise SystemExit(code)


def cmd_seed(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        login = seed(settings, Path(args.credentials))
    except _EXPECTED as exc:
        _fail(str(exc))
    state = "created" if login.created else "already present"
    print(f"demo tenant '{login.tenant}' {state}; logins in {args.credentials}")


def _moment(text: str) -> datetime:
    """An RFC 3339 time with an offset, for --from/--to."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"needs an offset (e.g. Z or +01:00): {text!r}")
    return value


async def _verify(settings: Settings, args: argparse.Namespace) -> Report:
    db = await open_database(settings)
    try:
        return await verify(db, slug=args.tenant, start=args.start, end=args.end)
    finally:
        await db.close()


def cmd_verify(args: argparse.Namespace) -> None:
    settings = _settings()
    if args.start is not None and args.end is not None and args.end <= args.start:
        _fail("--to must be after --from")
    try:
        report = asyncio.run(_verify(settings, args))
    except NotFound as exc:
        _fail(exc.detail)
    except _EXPECTED as exc:
        _fail(str(exc))
    for violation in report.violations:
        print(violation.line())
    count = len(report.violations)
    print(
        f"{count} violation{'s' if count != 1 else ''} of {len(report.rules)} rules"
        f" ({', '.join(report.rules)}) in {report.tenants} tenant"
        f"{'s' if report.tenants != 1 else ''}",
        file=sys.stderr,
    )
    raise SystemExit(1 if count else 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="apply sql/migrations to BOOKING_DATABASE_URL")
    migrate.set_defaults(func=cmd_migrate)
    serve = sub.add_parser("serve", help="HTTP and Socket.IO on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)
    dev = sub.add_parser(
        "dev", help="private PostgreSQL/Redis unless URLs are set, migrate, seed, web + worker"
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    dev.set_defaults(func=cmd_dev)
    seed_cmd = sub.add_parser("seed", help="create the demo tenant in BOOKING_DATABASE_URL")
    seed_cmd.add_argument(
        "--credentials", default=str(DEFAULT_DATA_DIR / "dev" / "demo-credentials.txt")
    )
    seed_cmd.set_defaults(func=cmd_seed)
    verify_cmd = sub.add_parser(
        "verify", help="check stored data against every scheduling rule; exit 1 on a violation"
    )
    verify_cmd.add_argument("--tenant", metavar="SLUG", help="only this tenant")
    verify_cmd.add_argument("--from", dest="start", type=_moment, metavar="T")
    verify_cmd.add_argument("--to", dest="end", type=_moment, metavar="T")
    verify_cmd.set_defaults(func=cmd_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)
