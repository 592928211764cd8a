"""The database-only figure of the product's create: ``pgbench_booking.sql`` (the one
statement a create sends) on the same database, one fresh resource per pgbench client,
``-M prepared``, 64 clients by default."""

from __future__ import annotations

import asyncio
import glob
import re
import shutil
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import aiohttp
import asyncpg
import msgspec

from bench.fixtures import Tenant, add_resources
from bench.report import Pgbench

SCRIPT = Path(__file__).with_name("pgbench_booking.sql")
_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
PROCESSED = re.compile(r"^number of transactions actually processed: ([0-9]+)", re.MULTILINE)
_LATENCY = re.compile(r"^latency average = ([0-9.]+) ms", re.MULTILINE)
# Hours between the slots of successive pgbench runs on the same resources.
RUN_SPACING_HOURS = 100_000
Log = Callable[[str], None]


class PgbenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Slots:
    """Per pgbench client (in client order): its tenant, its own resource, the requester."""

    tenants: list[str]
    resources: list[str]
    users: list[str]


def find_pgbench() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True):
        return candidate
    raise PgbenchError("pgbench not found (Debian: apt-get install postgresql-contrib)")


def parse_output(text: str) -> tuple[float, float]:
    """(tps, average latency in ms) from pgbench's summary."""
    tps = _TPS.search(text)
    lat = _LATENCY.search(text)
    if tps is None:
        raise PgbenchError(f"no tps in pgbench output:\n{text[-1500:]}")
    return float(tps.group(1)), float(lat.group(1)) if lat else 0.0


async def prepare(
    http: aiohttp.ClientSession, url: str, tenants: list[Tenant], clients: int
) -> Slots:
    """A fresh resource per pgbench client c, in tenant ``c % len(tenants)``."""
    made: list[list[str]] = []
    for index, tenant in enumerate(tenants):
        count = len(range(index, clients, len(tenants)))
        mine = await add_resources(http, url, tenant, count, prefix="pgbench")
        # Not for the HTTP clients: these belong to pgbench.
        tenant.resources[:] = [r for r in tenant.resources if r not in set(mine)]
        made.append(mine)
    slots = Slots([], [], [])
    for client in range(clients):
        index = client % len(tenants)
        slots.tenants.append(str(tenants[index].id))
        slots.resources.append(made[index][client // len(tenants)])
        slots.users.append(tenants[index].user_id)
    return slots


def sample_payloads() -> tuple[str, str]:
    """A booking as the API renders it, and its creation diff: the JSON create_booking stores."""
    booking = {
        "id": "0b5f3c56-7a55-4d41-9a1e-3f1f7d0e6a11",
        "number": 1234,
        "resource_id": "9d2f7f0e-2b8c-4f55-8a0f-6a6c1d7c2e11",
        "project_id": None,
        "requester_id": "5e7a1c3b-1d2e-4f3a-9b8c-7d6e5f4a3b21",
        "title": "",
        "note": "",
        "start": "2030-01-07T09:00:00Z",
        "end": "2030-01-07T10:00:00Z",
        "status": "confirmed",
        "version": 1,
        "created_at": "2026-03-01T09:00:00.123456Z",
        "updated_at": "2026-03-01T09:00:00.123456Z",
        "escalated_at": None,
    }
    diff = {k: [None, v] for k, v in booking.items() if k not in ("updated_at", "version")}
    return msgspec.json.encode(booking).decode(), msgspec.json.encode(diff).decode()


async def booked(database_url: str, slots: Slots) -> int:
    """Bookings numbered so far in the slots' tenants (every create takes a number)."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        value = await conn.fetchval(
            "SELECT coalesce(sum(booking_number), 0) FROM tenant_counters"
            " WHERE tenant_id = any($1::uuid[])",
            sorted(set(slots.tenants)),
        )
        return int(value)
    finally:
        await conn.close()


SLOTS_TABLE = "bench_pgbench_slots"


async def write_slots(database_url: str, slots: Slots) -> None:
    """Each client's tenant, resource, requester and context stamp (as a serve process keeps
    it after its first create), in a table the script reads by ``:client_id``: the values a
    server would send, without shipping every client's in every transaction."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SLOTS_TABLE} (client int PRIMARY KEY, tenant uuid,"
            " stamp text, resource uuid, requester uuid)"
        )
        rows = []
        for client, (tenant, resource, user) in enumerate(
            zip(slots.tenants, slots.resources, slots.users, strict=True)
        ):
            stamp = await conn.fetchval(
                "SELECT stamp FROM app_booking_context($1::uuid, $2::uuid, NULL)",
                tenant,
                resource,
            )
            rows.append((client, UUID(tenant), str(stamp), UUID(resource), UUID(user)))
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {SLOTS_TABLE}")
            await conn.copy_records_to_table(SLOTS_TABLE, records=rows)
        await conn.execute(f"ANALYZE {SLOTS_TABLE}")
    finally:
        await conn.close()


def invoke(
    database_url: str, script: Path, *, clients: int, seconds: int, variables: dict[str, str]
) -> str:
    """``pgbench -M prepared`` of ``script`` for ``seconds``, 2 threads; its output."""
    argv = [find_pgbench(), "-n", "-M", "prepared", "-c", str(clients), "-j", "2"]
    argv += ["-T", str(seconds), "-f", str(script)]
    argv += [arg for key, value in variables.items() for arg in ("-D", f"{key}={value}")]
    argv.append(database_url)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise PgbenchError(f"pgbench failed:\n{(done.stdout + done.stderr)[-2000:]}")
    return done.stdout


def run(database_url: str, slots: Slots, *, clients: int, seconds: int, index: int = 0) -> float:
    """One pgbench run; returns tps. ``index`` keeps runs on the same resources apart."""
    after, diff = sample_payloads()
    asyncio.run(write_slots(database_url, slots))
    variables = {
        "n": "0",
        "base": str(index * RUN_SPACING_HOURS),
        "after": after,
        "diff": diff,
    }
    before = asyncio.run(booked(database_url, slots))
    out = invoke(database_url, SCRIPT, clients=clients, seconds=seconds, variables=variables)
    tps, _latency = parse_output(out)
    # Every transaction must have created its booking (not answered "stale" or "conflict").
    processed = PROCESSED.search(out)
    made = asyncio.run(booked(database_url, slots)) - before
    if processed is None or made != int(processed.group(1)):
        raise PgbenchError(f"pgbench: {made} bookings for {processed and processed.group(1)}")
    return tps


def ceiling(
    database_url: str, slots: Slots, *, clients: int, seconds: int, runs: int, log: Log
) -> Pgbench:
    """``runs`` pgbench runs; the median is the ceiling the HTTP figure is compared with."""
    results = []
    for index in range(runs):
        tps = run(database_url, slots, clients=clients, seconds=seconds, index=index + 1)
        log(f"pgbench run {index + 1}/{runs}: {tps:.1f} tps")
        results.append(tps)
    median = statistics.median(results)
    return Pgbench(
        clients=clients,
        seconds=seconds,
        tps=round(median, 1),
        latency_ms=round(1000 * clients / median, 2) if median else 0.0,
        runs=[round(r, 1) for r in results],
    )
