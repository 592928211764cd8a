"""``python -m bench chaos``: faults in turn under load, each followed by the guarantees.

Two serve processes and a worker on a PostgreSQL cluster and a Redis of the run's own
(``bench.services``), loopback only. Writers book through both servers with
``Idempotency-Key`` retries (``bench.writers``); sockets on both servers follow the client
contract (``bench.mirrors``); the tenants' bookings wait for approval, so escalation and
expiry timers keep falling due. Each phase: load, the fault, recovery, then the writers
pause and the checks run (``bench.faultchecks``). Everything is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import msgspec

from bench import faultchecks
from bench.clients import request
from bench.fixtures import PASSWORD, add_resources, make_tenant, run_tag
from bench.mirrors import Mirror
from bench.procs import Proc, relay_leader
from bench.report import Check
from bench.services import Postgres, Redis, private_services
from bench.stack import SERVER_ENV, fresh_database
from bench.writers import Writable, Writers
from server import migrations

Log = Callable[[str], None]
FAULTS = (
    "kill-serve",
    "restart-postgres",
    "stop-redis",
    "pause-redis",
    "kill-leader",
    "kill-worker",
)
# Settings of the stack: quick heartbeats, relay polls and sweeps, so recovery is measured
# in seconds; workflow clocks that keep timers falling due during every phase.
STACK_ENV = {
    "BOOKING_HEARTBEAT_SECONDS": "1",
    "BOOKING_RELAY_POLL_SECONDS": "0.5",
    "BOOKING_SWEEP_SECONDS": "2",
    "BOOKING_POOL_MAX": "10",
}
CLOCKS = {
    "approval_required": True,
    "escalate_after": "PT3S",
    "expire_after": "PT6S",
    "remind_before": None,
    "auto_complete": False,
}


@dataclass(frozen=True, slots=True)
class ChaosPlan:
    faults: tuple[str, ...] = FAULTS
    clients: int = 6
    rate: float = 8.0  # bookings per second, all writers together
    tenants: int = 2
    resources: int = 6
    sockets: int = 2  # per tenant and server
    warm: float = 3.0  # load before the fault
    outage: float = 10.0  # how long Redis stays stopped, then frozen
    settle: float = 4.0  # load after recovery


@dataclass(slots=True)
class Stack:
    postgres: Postgres
    redis: Redis
    database_url: str
    serves: list[Proc]
    worker: Proc

    @property
    def procs(self) -> list[Proc]:
        return [*self.serves, self.worker]


@dataclass(slots=True)
class Phase:
    fault: str
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@contextmanager
def chaos_stack(folder: Path, log: Log, *, trace_worker: Path | None = None) -> Iterator[Stack]:
    """Private services, a migrated ``chaos`` database, two serve processes and a worker
    (under ``bench.tracemem``, reporting to ``trace_worker``, when given)."""
    with private_services() as (postgres, redis):
        database_url = asyncio.run(fresh_database(postgres.url, "chaos"))
        asyncio.run(migrations.migrate(database_url, progress=lambda _line: None))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
        env |= SERVER_ENV | STACK_ENV
        env |= {
            "BOOKING_DATABASE_URL": database_url,
            "BOOKING_REDIS_URL": redis.url,
            "BOOKING_JWT_SECRET": secrets.token_urlsafe(48),
            "PYTHONUNBUFFERED": "1",
        }
        serves = [Proc.serve(f"serve-{n}", env, folder) for n in range(2)]
        worker = Proc.worker("worker", env | {"BOOKING_LOG_LEVEL": "info"}, folder)
        if trace_worker is not None:
            worker.argv = ["-m", "bench.tracemem", str(trace_worker), "workers"]
        stack = Stack(postgres, redis, database_url, serves, worker)
        try:
            for proc in stack.procs:
                proc.start()
            for proc in stack.procs:
                proc.wait_ready()
            log(f"chaos stack: {', '.join(p.url for p in serves)}, worker, logs in {folder}")
            yield stack
        finally:
            for proc in stack.procs:
                proc.stop()


async def _restart(proc: Proc, after: float = 1.0) -> None:
    """kill -9, then what a supervisor does: start it again."""
    proc.kill9()
    await asyncio.sleep(after)
    proc.start()
    started = time.monotonic()
    await asyncio.to_thread(proc.wait_ready)
    proc.ready_after = time.monotonic() - started


async def _kill_serve(stack: Stack, plan: ChaosPlan) -> set[str]:
    leader = await relay_leader(stack.database_url, stack.serves)
    victim = next(p for p in stack.serves if p is not leader)
    await _restart(victim)
    return {victim.name}


async def _kill_leader(stack: Stack, plan: ChaosPlan) -> set[str]:
    leader = await relay_leader(stack.database_url, stack.serves)
    await _restart(leader)
    return {leader.name}


async def _restart_postgres(stack: Stack, plan: ChaosPlan) -> set[str]:
    await asyncio.to_thread(stack.postgres.restart)
    return set()


async def _stop_redis(stack: Stack, plan: ChaosPlan) -> set[str]:
    await asyncio.to_thread(stack.redis.stop)
    await asyncio.sleep(plan.outage)
    await asyncio.to_thread(stack.redis.start)
    return set()


async def _pause_redis(stack: Stack, plan: ChaosPlan) -> set[str]:
    stack.redis.pause()
    try:
        await asyncio.sleep(plan.outage)
    finally:
        stack.redis.resume()
    return set()


async def _kill_worker(stack: Stack, plan: ChaosPlan) -> set[str]:
    # Down long enough for escalations (and some expiries) to fall due meanwhile.
    await _restart(stack.worker, after=4.0)
    return {stack.worker.name}


INJECT: dict[str, Callable[[Stack, ChaosPlan], Awaitable[set[str]]]] = {
    "kill-serve": _kill_serve,
    "restart-postgres": _restart_postgres,
    "stop-redis": _stop_redis,
    "pause-redis": _pause_redis,
    "kill-leader": _kill_leader,
    "kill-worker": _kill_worker,
}


async def _setup(http: aiohttp.ClientSession, url: str, plan: ChaosPlan) -> list[Writable]:
    tag = run_tag()
    made: list[Writable] = []
    for index in range(plan.tenants):
        tenant = await make_tenant(http, url, f"chaos-{tag}-{index}")
        await add_resources(http, url, tenant, plan.resources)
        clocks = await request(http, "PUT", f"{url}/v1/workflow", token=tenant.token, body=CLOCKS)
        member = {"email": f"m@{tenant.slug}.test", "name": "M", "role": "member"}
        added = await request(
            http,
            "POST",
            f"{url}/v1/users",
            token=tenant.token,
            body=member | {"password": PASSWORD},
        )
        login = await request(
            http,
            "POST",
            f"{url}/v1/auth/login",
            body={"tenant": tenant.slug, "email": member["email"], "password": PASSWORD},
        )
        if (clocks.status, added.status, login.status) != (200, 201, 200):
            raise RuntimeError(f"chaos setup failed: {clocks}, {added}, {login}")
        made.append(Writable(str(tenant.id), login.body["access_token"], tenant.resources))
    return made


async def prepare_load(plan: ChaosPlan, stack: Stack) -> tuple[list[Mirror], Writers]:
    """The tenants (made through the API), ``plan.sockets`` mirrors of each on every serve
    process, and the writers booking through all of them: neither started yet."""
    urls = [p.url for p in stack.serves]
    async with aiohttp.ClientSession() as http:
        tenants = await _setup(http, urls[0], plan)
    mirrors = [
        Mirror(f"{serve.name}/{t.tenant_id[:8]}/{n}", serve.name, serve.url, t.tenant_id, t.token)
        for t in tenants
        for serve in stack.serves
        for n in range(plan.sockets)
    ]
    return mirrors, Writers(urls, tenants, plan.clients, plan.rate)


async def run_chaos(plan: ChaosPlan, stack: Stack, log: Log) -> list[Phase]:
    mirrors, writers = await prepare_load(plan, stack)
    phases: list[Phase] = []
    try:
        await asyncio.gather(*(m.start() for m in mirrors))
        await writers.start()
        for fault in plan.faults:
            phase = await _phase(fault, plan, stack, writers, mirrors, writers.tenants)
            log(faultchecks.describe(phase.fault, phase.figures, phase.checks))
            phases.append(phase)
    finally:
        await writers.close()
        await asyncio.gather(*(m.close() for m in mirrors))
    return phases


async def _phase(
    fault: str,
    plan: ChaosPlan,
    stack: Stack,
    writers: Writers,
    mirrors: list[Mirror],
    tenants: list[Writable],
) -> Phase:
    tenant_ids = [t.tenant_id for t in tenants]
    heads_before = await faultchecks.heads(stack.database_url, tenant_ids)
    pids = {p.name: p.pid for p in stack.procs}
    writers.resume()
    begun = time.monotonic()
    await asyncio.sleep(plan.warm)
    injected = time.monotonic()
    restarted = await INJECT[fault](stack, plan)
    recovered = time.monotonic()
    await asyncio.sleep(plan.settle)
    await writers.pause()
    ended = time.monotonic()
    phase = Phase(fault)
    phase.figures |= {"fault_s": recovered - injected}
    for proc in stack.procs:
        if proc.name in restarted:
            phase.figures[f"{proc.name}_ready_s"] = proc.ready_after
    killed_servers = restarted & {p.name for p in stack.serves}
    steady = [m for m in mirrors if m.server not in killed_servers and m.connected_since(begun)]
    phase.checks += faultchecks.errors(fault, writers, begun, ended, phase.figures)
    phase.checks += await faultchecks.sockets(
        stack.database_url, mirrors, steady, heads_before, fault, phase.figures
    )
    phase.checks += await faultchecks.stored(stack.database_url, tenant_ids, writers.writes)
    phase.checks += await faultchecks.timers(stack.database_url, tenant_ids, phase.figures)
    phase.checks.append(faultchecks.processes(stack.procs, pids, restarted))
    return phase


def chaos(plan: ChaosPlan, folder: Path, log: Log) -> list[Phase]:
    """The whole run: its own stack, every fault of the plan in turn; the phases' results."""
    folder.mkdir(parents=True, exist_ok=True)
    with chaos_stack(folder, log) as stack:
        return asyncio.run(run_chaos(plan, stack, log))


def phase_json(phase: Phase) -> dict[str, object]:
    return {
        "fault": phase.fault,
        "ok": phase.ok,
        "figures": phase.figures,
        "checks": [msgspec.to_builtins(check) for check in phase.checks],
    }
