"""``python -m bench floor``: what the product's schema costs before any of its checks.

Side by side in one run, on one PostgreSQL, each part ``seconds`` long with pgbench's 64
clients, ``rounds`` times in turn:

- **bare**: the yardstick's statement on the yardstick's schema (``shared/yardstick``:
  ``schema.sql``, ``cte.sql``), as ``run.sh`` runs it;
- **floor**: the same four writes (counter, booking, audit row, event) in one statement on
  the product's migrated schema, as ``booking_app`` under row-level security, with the
  exclusion constraint as the only overlap check (``bench/floor.sql``);
- **create**: the product's create (``bench/pgbench_booking.sql``) on the same database.

``ladder``: the floor again after dropping, in turn, the secondary indexes of bookings, those
of the audit log and events, and the foreign keys of the three (what reaching the bare
statement would take). ``http``: the yardstick's bare app, and the same bare app sending
the product's SQL (``bench/bareapp.py``), under wrk: what any Python layer around the
product's create can reach.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import msgspec

from bench import pgbench
from bench.stack import drop_database, durability_of, fresh_database
from bench.yardstick import MS_PER
from server import migrations
from server.devservices import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETUP = HERE / "floor.sql"
FLOOR_SCRIPT = HERE / "pgbench_floor.sql"
CREATE_SCRIPT = pgbench.SCRIPT
BARE_APP_LUA = HERE / "bareapp.lua"
# Hours between the parts' slots on the same resources (pgbench_booking.sql's spacing).
SPACING = pgbench.RUN_SPACING_HOURS
Log = Callable[[str], None]


class FloorError(RuntimeError):
    pass


class Round(msgspec.Struct, kw_only=True):
    bare_tps: float | None
    floor_tps: float
    create_tps: float


class Step(msgspec.Struct, kw_only=True):
    dropped: str
    count: int
    floor_tps: float


class Http(msgspec.Struct, kw_only=True):
    app: str
    rps: float
    p99_ms: float
    non_2xx_share: float


class FloorResult(msgspec.Struct, kw_only=True):
    durability: str
    clients: int
    tenants: int
    seconds: int
    rounds: list[Round]
    ladder: list[Step] = msgspec.field(default_factory=list)
    http: list[Http] = msgspec.field(default_factory=list)

    def median(self, part: str) -> float | None:
        values = [getattr(r, f"{part}_tps") for r in self.rounds]
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None


def measure(
    admin_url: str,
    *,
    yardstick: Path | None,
    clients: int = 64,
    tenants: int = 64,
    seconds: int = 15,
    rounds: int = 2,
    ladder: bool = False,
    http: bool = False,
    log: Log = print,
) -> FloorResult:
    """The parts above on databases of their own at ``admin_url`` (a superuser's URL)."""
    if clients < 1 or tenants < 1 or clients < tenants:
        raise FloorError("need clients >= tenants >= 1 (each client books its own resource)")
    suffix = os.getpid()
    names = (f"bench_floor_{suffix}", f"bench_floor_bare_{suffix}")
    product = asyncio.run(fresh_database(admin_url, names[0]))
    bare = asyncio.run(fresh_database(admin_url, names[1])) if yardstick else None
    try:
        asyncio.run(migrations.migrate(product, progress=lambda _line: None))
        asyncio.run(prepare(product, clients=clients, tenants=tenants))
        result = FloorResult(
            durability=asyncio.run(durability_of(product)),
            clients=clients,
            tenants=tenants,
            seconds=seconds,
            rounds=[],
        )
        log(
            f"floor: {clients} clients, {tenants} tenants, {seconds} s per part"
            f" ({result.durability})"
        )
        bench = _Pgbench(product, clients=clients, seconds=seconds)
        for index in range(rounds):
            bare_tps = _bare(bare, yardstick, clients, seconds) if bare and yardstick else None
            found = Round(
                bare_tps=bare_tps,
                floor_tps=bench.run(FLOOR_SCRIPT),
                create_tps=bench.run(CREATE_SCRIPT),
            )
            result.rounds.append(found)
            log(f"round {index + 1}/{rounds}: {describe_round(found)}")
        if http:
            result.http = _http(product, bare, yardstick, clients, seconds, log)
        if ladder:
            result.ladder = _ladder(product, bench, log)
        return result
    finally:
        for name in names:
            asyncio.run(drop_database(admin_url, name))


async def prepare(url: str, *, clients: int, tenants: int) -> None:
    text = SETUP.read_text().replace(":tenants", str(tenants)).replace(":clients", str(clients))
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(text)
    finally:
        await conn.close()


class _Pgbench:
    """pgbench runs of one script after another on fresh hours of the same slots; each run
    must have made one booking per transaction."""

    def __init__(self, url: str, *, clients: int, seconds: int) -> None:
        self.url, self.clients, self.seconds = url, clients, seconds
        self.after, self.diff = pgbench.sample_payloads()
        self.runs = 0

    def run(self, script: Path) -> float:
        self.runs += 1
        variables = {"n": "0", "base": str(self.runs * SPACING), "after": self.after}
        if script == CREATE_SCRIPT:
            variables["diff"] = self.diff
        before = asyncio.run(_bookings(self.url))
        out = pgbench.invoke(
            self.url, script, clients=self.clients, seconds=self.seconds, variables=variables
        )
        processed = pgbench.PROCESSED.search(out)
        made = asyncio.run(_bookings(self.url)) - before
        if processed is None or made != int(processed.group(1)):
            raise FloorError(f"{script.name}: {made} bookings for {processed and processed[1]}")
        return round(pgbench.parse_output(out)[0], 1)


async def _bookings(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM bookings"))
    finally:
        await conn.close()


def _bare(url: str, yardstick: Path, clients: int, seconds: int) -> float:
    """The yardstick's statement on its own schema, made afresh as run.sh does."""
    asyncio.run(_reset_bare(url, yardstick))
    script = yardstick / "cte.sql"
    out = pgbench.invoke(url, script, clients=clients, seconds=seconds, variables={})
    return round(pgbench.parse_output(out)[0], 1)


async def _reset_bare(url: str, yardstick: Path) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute("SET client_min_messages = warning")
        await conn.execute((yardstick / "schema.sql").read_text())
    finally:
        await conn.close()


# What the ladder drops, in turn: (label, tables, what of them).
LADDER = (
    ("the secondary indexes of bookings", ("bookings",), "indexes"),
    ("the secondary indexes of the audit log and events", ("audit_log", "events"), "indexes"),
    (
        "the foreign keys of bookings, the audit log and events",
        ("bookings", "audit_log", "events"),
        "foreign keys",
    ),
)
# Indexes that back no constraint (not the keys, not the exclusion constraint).
_SECONDARY = """
SELECT format('%I', c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = $1::regclass AND NOT EXISTS (
    SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
ORDER BY 1
"""
_FOREIGN = """
SELECT format('%I', conname) FROM pg_constraint
WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY 1
"""


def _ladder(url: str, bench: _Pgbench, log: Log) -> list[Step]:
    steps = [Step(dropped="", count=0, floor_tps=bench.run(FLOOR_SCRIPT))]
    log(f"ladder: the floor on the whole schema {steps[0].floor_tps:.0f} tps")
    for label, tables, what in LADDER:
        count = asyncio.run(_drop(url, tables, what))
        steps.append(Step(dropped=label, count=count, floor_tps=bench.run(FLOOR_SCRIPT)))
        log(f"ladder: without {label} ({count} dropped) {steps[-1].floor_tps:.0f} tps")
    return steps


async def _drop(url: str, tables: tuple[str, ...], what: str) -> int:
    conn = await asyncpg.connect(url, timeout=10)
    dropped = 0
    try:
        for table in tables:
            if what == "indexes":
                for name in [r[0] for r in await conn.fetch(_SECONDARY, table)]:
                    await conn.execute(f"DROP INDEX {name}")
                    dropped += 1
            else:
                for name in [r[0] for r in await conn.fetch(_FOREIGN, table)]:
                    await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT {name}')
                    dropped += 1
    finally:
        await conn.close()
    return dropped


def _http(
    product: str, bare: str | None, yardstick: Path | None, clients: int, seconds: int, log: Log
) -> list[Http]:
    found = []
    if bare and yardstick:
        asyncio.run(_reset_bare(bare, yardstick))
        with _uvicorn(["bare_app:app"], yardstick, {"DSN": bare}) as port:
            script = yardstick / "post.lua"
            found.append(_wrk("yardstick's bare app", port, script, [], clients, seconds))
        log(f"http: {describe_http(found[-1])}")
    for mode in ("floor", "create"):
        env = {"BENCH_FLOOR_DSN": product, "BENCH_FLOOR_MODE": mode}
        with _uvicorn(["bench.bareapp:make_app", "--factory"], ROOT, env) as port:
            app = f"bare app sending the product's {mode}"
            found.append(_wrk(app, port, BARE_APP_LUA, [str(clients)], clients, seconds))
        log(f"http: {describe_http(found[-1])}")
    return found


@contextmanager
def _uvicorn(target: list[str], cwd: Path, env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", *target, "--port", str(port)]
    argv += ["--log-level", "warning", "--loop", "uvloop"]
    proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise FloorError(f"{' '.join(target)} did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


_RPS = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_P99 = re.compile(r"^\s+99%\s+([0-9.]+)(us|ms|s)$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses: (\d+)", re.MULTILINE)


def _wrk(
    app: str, port: int, script: Path, args: list[str], connections: int, seconds: int
) -> Http:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    argv += [f"http://127.0.0.1:{port}/book"]
    if args:
        argv += ["--", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    rps, p99, total = _RPS.search(done.stdout), _P99.search(done.stdout), _TOTAL.search(done.stdout)
    if done.returncode != 0 or rps is None or p99 is None or total is None:
        raise FloorError(f"wrk failed:\n{(done.stdout + done.stderr)[-2000:]}")
    scale = MS_PER[p99[2]]
    non_2xx = _NON_2XX.search(done.stdout)
    share = int(non_2xx[1]) / max(1, int(total[1])) if non_2xx else 0.0
    return Http(
        app=app,
        rps=float(rps[1]),
        p99_ms=round(float(p99[1]) * scale, 2),
        non_2xx_share=round(share, 3),
    )


def _ratio(value: float | None, base: float | None) -> str:
    return f" ({value / base:.2f})" if value is not None and base else ""


def describe_round(found: Round) -> str:
    head = f"bare statement {found.bare_tps:.0f} tps; " if found.bare_tps else ""
    return (
        f"{head}its four writes on the product's schema {found.floor_tps:.0f}"
        f"{_ratio(found.floor_tps, found.bare_tps)}; the product's create"
        f" {found.create_tps:.0f}{_ratio(found.create_tps, found.bare_tps)}"
    )


def describe_http(found: Http) -> str:
    return (
        f"{found.app} {found.rps:.0f} req/s, p99 {found.p99_ms:.1f} ms,"
        f" {found.non_2xx_share:.0%} answered other than 2xx"
    )


def report(result: FloorResult) -> list[str]:
    bare = result.median("bare")
    floor = result.median("floor") or 0.0
    create = result.median("create") or 0.0
    lines = [f"floor: medians of {len(result.rounds)} rounds ({result.durability})"]
    if bare:
        lines.append(f"  bare statement (yardstick): {bare:.0f} tps")
    lines.append(f"  its four writes on the product's schema: {floor:.0f} tps{_ratio(floor, bare)}")
    lines.append(f"  the product's create: {create:.0f} tps{_ratio(create, bare)}")
    if floor:
        lines.append(f"  the product's create over the floor: {create / floor:.2f}")
    for step in result.ladder:
        ratio = _ratio(step.floor_tps, bare)
        what = f"without {step.dropped} ({step.count})" if step.count else "on the whole schema"
        lines.append(f"  the floor {what}: {step.floor_tps:.0f} tps{ratio}")
    apps = {h.app: h for h in result.http}
    base = apps.get("yardstick's bare app")
    for found in result.http:
        lines.append(f"  {describe_http(found)}{_ratio(found.rps, base.rps if base else None)}")
    return lines
