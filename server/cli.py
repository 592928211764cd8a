"""Command line: ``python -m server serve|migrate|dev|seed|backup|restore|verify``."""

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

from server import backup, migrations
from server.app import create_app
from server.config import ConfigError, Settings, load_settings
from server.devrun import run_dev, seed
from server.devservices import DEFAULT_DATA_DIR, ServicesError
from server.errors import NotFound
from server.logs import configure as configure_logging
from server.metrics import serve_on_port
from server.seed import SIZES, Size
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
    backup.BackupError,
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
    db = await migrations.open_database(settings)
    await db.close()


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        url = settings.require_database_url()
        asyncio.run(migrations.migrate(url, login_url=settings.app_login_url))
    except _EXPECTED as exc:
        _fail(str(exc))


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        settings.require_jwt_secret()
        settings.require_redis_url()
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(_preflight(settings))
        if settings.metrics_port is not None:
            serve_on_port(settings.metrics_host, settings.metrics_port)
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
        # Whose X-Forwarded-For to believe: never everyone by default (rate limits key on it).
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=args.access_log,
        # Logging is configured above (BOOKING_LOG_FORMAT); uvicorn's loggers propagate.
        log_config=None,
    )


def cmd_dev(args: argparse.Namespace) -> None:
    try:
        code = run_dev(Path(args.data_dir), args.host, args.port)
    except _EXPECTED as exc:
        _fail(str(exc))
    raise SystemExit(code)


class Bar:
    """A progress bar on stderr (a line per tenth when stderr is not a terminal)."""

    WIDTH = 40

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = max(total, 1), label, 0
        self.tty = sys.stderr.isatty()

    def tick(self) -> None:
        self.done += 1
        if self.tty:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            end = "\n" if self.done >= self.total else ""
            print(f"\r{self.label} [{bar}] {self.done}/{self.total}", end=end, file=sys.stderr)
        elif self.done * 10 // self.total != (self.done - 1) * 10 // self.total:
            print(f"{self.label}: {self.done}/{self.total}", file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def cmd_seed(args: argparse.Namespace) -> None:
    settings = _settings()
    size = SIZES[args.size]
    if size.tenants:
        size = Size(
            tenants=args.tenants or size.tenants,
            resources=args.resources or size.resources,
            weeks=args.weeks or size.weeks,
        )
    credentials = Path(args.credentials) if args.credentials else None
    bar = Bar(size.tenants * size.resources, "load tenants' resources")
    try:
        login = seed(settings, credentials, size=size, tick=bar.tick)
    except _EXPECTED as exc:
        _fail(str(exc))
    state = "created" if login.created else "already present"
    print(f"demo tenant '{login.tenant}' {state}")
    if login.created and credentials is None:
        print(f"  password {login.password} (demo only)")
        for role, email in login.emails.items():
            print(f"  {role:<8} {email}")
    elif credentials is not None:
        print(f"  logins in {credentials}")
    if size.tenants:
        print(f"{size.tenants} load tenants load-01..load-{size.tenants:02d}: same password")


def cmd_backup(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        manifest = asyncio.run(backup.backup(settings.require_database_url(), Path(args.out)))
    except _EXPECTED as exc:
        _fail(str(exc))
    version = manifest.migrations[-1][0]
    print(f"backup of schema version {version:04d} written to {args.out}")


def cmd_restore(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        url = settings.require_database_url()
        asyncio.run(backup.restore(url, Path(args.file), replace=args.replace))
    except _EXPECTED as exc:
        _fail(str(exc))


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
    db = await migrations.open_database(settings)
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
    seed_cmd = sub.add_parser(
        "seed", help="demo tenant (and load tenants) in BOOKING_DATABASE_URL; idempotent"
    )
    seed_cmd.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="small",
        help="small: the demo tenant; large: also 50 tenants x 200 resources x 3 months",
    )
    seed_cmd.add_argument(
        "--credentials", help="keep the demo logins in this file (else they are printed)"
    )
    for name in ("tenants", "resources", "weeks"):
        seed_cmd.add_argument(
            f"--{name}", type=_positive, help=f"with --size large: another number of {name}"
        )
    seed_cmd.set_defaults(func=cmd_seed)
    backup_cmd = sub.add_parser(
        "backup", help="write the database and its schema version to one file"
    )
    backup_cmd.add_argument("--out", required=True, help="the file to write")
    backup_cmd.set_defaults(func=cmd_backup)
    restore_cmd = sub.add_parser(
        "restore", help="restore a backup into an empty database, then migrate"
    )
    restore_cmd.add_argument("file")
    restore_cmd.add_argument(
        "--replace", action="store_true", help="drop what the database holds first"
    )
    restore_cmd.set_defaults(func=cmd_restore)
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
