"""The pool, tenant-scoped transactions and the one place driver errors are translated."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from server import errors
from server.config import Settings
from server.sql import Query

log = logging.getLogger(__name__)
T = TypeVar("T")

# The non-owner role every query runs as; created by `migrate`, named in the migrations.
APP_ROLE = "booking_app"

# Constraint name -> the error a violation means. The one place driver errors get a meaning.
UNIQUE_ERRORS: dict[str, type[errors.AppError]] = {
    "tenants_slug_key": errors.SlugTaken,
    "users_email_key": errors.EmailTaken,
    "projects_code_key": errors.CodeTaken,
}
EXCLUSION_ERRORS: dict[str, type[errors.AppError]] = {
    "bookings_no_overlap": errors.BookingConflict,
    # Holds are written under the resource's lock after the check; this is the backstop.
    "holds_no_overlap": errors.BookingConflict,
}
ISOLATION = {
    "read_committed": "READ COMMITTED",
    "repeatable_read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}
CHECK_ERRORS: dict[str, type[errors.AppError]] = {
    "bookings_period_check": errors.InvalidPeriod,
    "holds_period_check": errors.InvalidPeriod,
    "time_off_period_check": errors.InvalidPeriod,
}
# SQLSTATEs that say the server is going away, starting or full, not that the request is
# wrong: admin/crash shutdown, cannot connect now (starting up or shutting down), too many
# connections. Class 08 (connection exceptions) is matched by prefix.
UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# What a client may wait before trying again while the database is unreachable.
UNAVAILABLE_RETRY_AFTER = 1


@dataclass(frozen=True, slots=True)
class Context:
    """Who is acting, for which tenant, in which request."""

    tenant_id: UUID
    user_id: UUID | None = None
    role: str | None = None
    request_id: str = "-"
    # The access token's id, expiry and login family, when a token authenticated the call.
    token_id: str | None = None
    token_expires_at: int | None = None
    family_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job to enqueue by name once the transaction has committed."""

    name: str
    args: tuple[Any, ...]
    job_id: str | None = None
    defer_until: Any = None


Enqueuer = Callable[[Sequence[Job]], Awaitable[None]]


class Memo:
    """What a process may keep between transactions when every use checks it is still
    current (e.g. the booking context and its stamp). Bounded: emptied when full."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._items: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self._items.get(key)

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) >= self.limit:
            self._items.clear()
        self._items[key] = value


# What a Tx statement method runs: a named query of ``sql/queries`` with its parameters
# by name, or SQL text with positional ``$n`` arguments.
Statement = str | Query


def bound(
    query: Statement, args: tuple[Any, ...], named: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """The text and positional arguments of ``query``."""
    if isinstance(query, Query):
        if args:
            raise TypeError(f"query {query.name!r} takes its parameters by name")
        return query.sql, query.args(**named)
    if named:
        raise TypeError("SQL text takes positional arguments")
    return query, args


@dataclass(slots=True)
class Tx:
    """A transaction for one tenant, with statement-level error translation.

    It opens lazily: the first statement sends ``BEGIN`` and the tenant's ``set_config``
    in one round trip before it (``opening``). ``sole`` runs a statement that sets role
    and tenant itself as the whole transaction (autocommit, one round trip) when nothing
    ran before it; after that the transaction is over. Without ``conn``, the first
    statement takes a connection from ``connect``: a request holds a pooled connection
    from its first statement to its commit, not while it validates and judges."""

    conn: asyncpg.Connection | None
    ctx: Context
    memo: Memo = field(default_factory=Memo)
    app_role: str = APP_ROLE
    opening: str = ""
    state: str = "idle"  # idle -> open (BEGIN sent) | done (a sole statement committed)
    jobs: list[Job] = field(default_factory=list)
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Run in a fresh transaction once this one rolled back on an AppError, to read what
    # the error should report (the bookings a refused write overlaps).
    after_rollback: list[Callable[[Tx], Awaitable[None]]] = field(default_factory=list)
    evented: bool = False  # wrote an event: the relay is woken after commit
    connect: Callable[[], Awaitable[asyncpg.Connection]] | None = None

    async def connection(self) -> asyncpg.Connection:
        """The transaction's connection, taken from ``connect`` on first use."""
        if self.conn is None:
            assert self.connect is not None, "a Tx needs a connection or a way to get one"
            self.conn = await self.connect()
        return self.conn

    @property
    def tenant_id(self) -> UUID:
        return self.ctx.tenant_id

    def wrote_event(self) -> None:
        self.evented = True

    async def begin(self) -> None:
        """Open the transaction now (no-op when open)."""
        if self.state == "open":
            return
        assert self.state == "idle", "a sole statement already ended this transaction"
        await (await self.connection()).execute(self.opening)
        self.state = "open"

    async def _opened(self) -> asyncpg.Connection:
        """The connection, with the transaction open."""
        await self.begin()
        assert self.conn is not None
        return self.conn

    def reopen(self) -> None:
        """After a sole statement that changed nothing: later statements may open a
        transaction again."""
        if self.state == "done":
            self.state = "idle"

    async def sole(self, query: Statement, /, *args: Any, **named: Any) -> asyncpg.Record | None:
        """``fetchrow`` of a statement that sets role and tenant itself: alone in its own
        implicit transaction when none is open, else inside the open one."""
        sql, values = bound(query, args, named)
        conn = await self.connection()
        if self.state == "idle":
            self.state = "done"
        try:
            return await conn.fetchrow(sql, *values)
        except asyncpg.PostgresError as exc:
            raise translate(exc) from exc

    async def _statement(
        self, method: str, query: Statement, args: tuple[Any, ...], named: dict[str, Any]
    ) -> Any:
        """``conn.<method>`` of ``query`` inside the open transaction, errors translated."""
        sql, values = bound(query, args, named)
        conn = await self._opened()
        try:
            return await getattr(conn, method)(sql, *values)
        except asyncpg.PostgresError as exc:
            raise translate(exc) from exc

    async def fetch(self, query: Statement, /, *args: Any, **named: Any) -> list[asyncpg.Record]:
        return list(await self._statement("fetch", query, args, named))

    async def fetchrow(
        self, query: Statement, /, *args: Any, **named: Any
    ) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._statement("fetchrow", query, args, named)
        return row

    async def one(self, query: Statement, /, *args: Any, **named: Any) -> asyncpg.Record:
        """``fetchrow`` of a statement that always answers a row (``INSERT … RETURNING``)."""
        row = await self.fetchrow(query, *args, **named)
        if row is None:
            name = query.name if isinstance(query, Query) else query.split("\n", 1)[0]
            raise RuntimeError(f"{name} answered no row")
        return row

    async def fetchval(self, query: Statement, /, *args: Any, **named: Any) -> Any:
        return await self._statement("fetchval", query, args, named)

    async def execute(self, query: Statement, /, *args: Any, **named: Any) -> str:
        return str(await self._statement("execute", query, args, named))

    def enqueue(self, job: Job) -> None:
        self.jobs.append(job)


def translate(exc: asyncpg.PostgresError) -> Exception:
    """Map a driver error to the app's own: by SQLSTATE, then by constraint name."""
    state = exc.sqlstate
    constraint = getattr(exc, "constraint_name", None) or ""
    if state in ("40P01", "40001"):
        return errors.Retryable(state)
    if unreachable(exc):
        return database_unavailable()
    if state == "23P01" and constraint in EXCLUSION_ERRORS:
        return EXCLUSION_ERRORS[constraint]()
    if state == "23505" and constraint in UNIQUE_ERRORS:
        return UNIQUE_ERRORS[constraint]()
    if state == "23514" and constraint in CHECK_ERRORS:
        return CHECK_ERRORS[constraint]()
    if state == "23503":
        # Composite foreign keys lead with tenant_id: another tenant's id is simply unknown.
        return errors.NotFound(_fk_detail(constraint))
    if state == "22P02" or state == "22007" or state == "22008":
        return errors.ValidationFailed.field("body", "invalid value")
    if state == "22021" or state == "22P05":
        # Decoding refuses U+0000 field by field; this covers any text that slipped past.
        return errors.ValidationFailed.field("body", "text must not contain NUL (U+0000)")
    unknown: Exception = exc
    return unknown


def unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` means the database cannot be reached right now (restart, crash,
    network, full), so the request may succeed if tried again shortly."""
    if isinstance(exc, OSError | asyncpg.PostgresConnectionError):
        # Refused, reset, timed out (TimeoutError is an OSError), lost mid-statement.
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state in UNAVAILABLE_STATES or state.startswith("08")
    if isinstance(exc, asyncpg.InternalClientError):
        # The protocol of a connection the server ended while it sat in the pool.
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # asyncpg's own words for a connection or pool that closed under the caller.
        return "closed" in str(exc) or "closing" in str(exc)
    return False


def database_unavailable() -> errors.Unavailable:
    return errors.Unavailable(
        "The database is unreachable; try again shortly", retry_after=UNAVAILABLE_RETRY_AFTER
    )


def _fk_detail(constraint: str) -> str:
    for column in ("resource", "project", "requester", "user", "booking"):
        if f"_{column}" in constraint:
            return f"{column} not found"
    return "referenced row not found"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            schema="pg_catalog",
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
        )


async def _skip_reset_query(conn: asyncpg.Connection) -> None:
    """The pool's reset on release, instead of asyncpg's default query (advisory unlock,
    CLOSE ALL, UNLISTEN *, RESET ALL: one round trip per request). Pool connections carry
    no session state: ``transaction`` sets role and tenant with ``set_config(..., true)``
    and takes only ``pg_advisory_xact_lock``; LISTEN and session advisory locks live on
    connections of their own (the realtime relay, ``migrate``). The pool has already
    rolled back any open transaction and dropped listeners before calling this."""


class Database:
    """A connection pool whose every transaction runs as the application role."""

    def __init__(
        self, pool: asyncpg.Pool, app_role: str = APP_ROLE, *, acquire_timeout: float = 5.0
    ) -> None:
        self.pool = pool
        self.app_role = app_role
        self.acquire_timeout = acquire_timeout
        self.enqueuer: Enqueuer | None = None
        # Called with the tenant after a transaction that wrote events commits: wakes the
        # realtime relay (the events table is the truth; this only makes it prompt).
        self.on_events: Callable[[UUID], None] | None = None
        self.memo = Memo()

    @classmethod
    async def connect(cls, settings: Settings, *, min_size: int | None = None) -> Database:
        pool = await asyncpg.create_pool(
            settings.require_database_url(),
            min_size=min_size if min_size is not None else settings.pool_min,
            max_size=settings.pool_max,
            init=_init_connection,
            reset=_skip_reset_query,
            command_timeout=60,
        )
        assert pool is not None
        return cls(pool, acquire_timeout=settings.pool_acquire_timeout)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(
        self,
        ctx: Context | None,
        *,
        isolation: str | None = None,
        readonly: bool = False,
        lazy: bool = False,
    ) -> AsyncIterator[Tx]:
        """One transaction as the app role, scoped to ``ctx.tenant_id`` (or no tenant),
        committed here; on an error the pool's release rolls it back. ``lazy``: opened by
        its first statement (see ``Tx``), else at once.

        Connecting, BEGIN, a statement or COMMIT that meets a database restarting or gone
        raises ``Unavailable`` (503 with Retry-After), never a 500; the broken connection is
        dropped so the pool opens a new one. A write whose COMMIT got no answer may have
        happened; the client's retry with its Idempotency-Key tells."""
        # A lazy transaction takes its connection with its first statement.
        tx = Tx(
            None if lazy else await self._acquire(),
            ctx or Context(tenant_id=UUID(int=0)),
            memo=self.memo,
            app_role=self.app_role,
            opening=self.opening(ctx, isolation=isolation, readonly=readonly),
            connect=self._acquire,
        )
        try:
            if not lazy:
                await tx.begin()
            try:
                yield tx
            except Exception:
                # Here rather than at release, which would log it as an error.
                if tx.state == "open" and tx.conn is not None and not tx.conn.is_closed():
                    with contextlib.suppress(Exception):
                        await tx.conn.execute("ROLLBACK")
                raise
            if tx.state == "open":
                assert tx.conn is not None
                try:
                    await tx.conn.execute("COMMIT")
                except asyncpg.PostgresError as exc:
                    raise translate(exc) from exc
        except Exception as exc:
            broken = unreachable(exc) or unreachable(exc.__cause__)
            if broken and tx.conn is not None and not tx.conn.is_closed():
                tx.conn.terminate()
            if unreachable(exc):
                raise database_unavailable() from exc
            raise
        finally:
            if tx.conn is not None:
                await self.pool.release(tx.conn)

    def opening(self, ctx: Context | None, *, isolation: str | None, readonly: bool) -> str:
        """``BEGIN`` and the role and tenant settings, one simple-protocol message. Both
        values are ours (the role's name, a UUID), never a client's text."""
        mode = f" ISOLATION LEVEL {ISOLATION[isolation]}" if isolation else ""
        mode += " READ ONLY" if readonly else ""
        tenant = str(ctx.tenant_id) if ctx else ""
        role = self.app_role.replace("'", "''")
        return (
            f"BEGIN{mode}; SELECT set_config('role', '{role}', true),"
            f" set_config('app.tenant_id', '{tenant}', true)"
        )

    async def _acquire(self) -> asyncpg.Connection:
        """A pooled connection; 503 when none frees up in time or PostgreSQL is unreachable."""
        try:
            return await self.pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            raise errors.Unavailable(
                "Every database connection is busy; try again shortly", retry_after=1
            ) from None
        except Exception as exc:
            if unreachable(exc):
                log.warning("cannot connect to PostgreSQL: %r", exc)
                raise database_unavailable() from exc
            raise

    async def run(
        self, ctx: Context | None, fn: Callable[[Tx], Awaitable[T]], *, retries: int = 1
    ) -> T:
        """Run ``fn`` in one transaction; retry lost races, then enqueue its jobs."""
        attempt = 0
        while True:
            failed: Tx | None = None
            try:
                async with self.transaction(ctx, lazy=True) as tx:
                    failed = tx
                    result = await fn(tx)
                break
            except errors.Retryable:
                attempt += 1
                if attempt > retries:
                    raise errors.Contention() from None
            except asyncpg.PostgresError as exc:
                translated = translate(exc)
                if isinstance(translated, errors.Retryable):
                    attempt += 1
                    if attempt > retries:
                        raise errors.Contention() from None
                    continue
                if translated is exc:
                    raise
                raise translated from exc
            except errors.AppError:
                if failed is not None and failed.after_rollback:
                    async with self.transaction(ctx) as fresh:
                        for reread in failed.after_rollback:
                            await reread(fresh)
                raise
        if tx.evented and self.on_events is not None:
            self.on_events(tx.tenant_id)
        if tx.jobs and self.enqueuer is not None:
            try:
                await self.enqueuer(tx.jobs)
            except Exception:
                # Timers live in PostgreSQL; the sweeper fires whatever this missed.
                log.warning("enqueue after commit failed; the sweeper will catch up", exc_info=True)
        for hook in tx.after_commit:
            try:
                await hook()
            except Exception:
                log.warning("an after-commit hook failed", exc_info=True)
        return result

    async def read(
        self,
        ctx: Context | None,
        fn: Callable[[Tx], Awaitable[T]],
        *,
        snapshot: bool = False,
    ) -> T:
        """Run ``fn`` in one transaction; ``snapshot=True`` makes it a read-only
        REPEATABLE READ one, so every statement sees the same committed state."""
        isolation = "repeatable_read" if snapshot else None
        async with self.transaction(ctx, isolation=isolation, readonly=snapshot) as tx:
            return await fn(tx)

    async def check_role(self) -> None:
        """Refuse to run when the application role could bypass row-level security."""
        async with self.transaction(None) as tx:
            row = await tx.fetchrow(
                "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles"
                " WHERE rolname = current_user"
            )
        if row is None or row["rolsuper"] or row["rolbypassrls"]:
            raise RuntimeError(
                f"database role {self.app_role!r} can bypass row-level security;"
                " run `python -m server migrate` with a role that may create it"
            )
