"""One benchmark run against running servers: set up through the API, start listeners,
optionally measure the pgbench ceiling, drive the scenario with a progress line per
second, wait for the events, verify in the database, and build the Result."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from bench import pgbench, wrkdriver
from bench.clients import HttpTransport, SocketTransport, Transport, gather_bounded, session
from bench.fixtures import Tenant, event_head, make_tenants, run_tag
from bench.listeners import Listeners
from bench.report import Result, operations, progress_line
from bench.scenarios import SCENARIOS, SPREAD_HOURS, World
from bench.stack import cpu_seconds, rss_kb
from bench.stats import Recorder
from bench.verify import verify

Log = Callable[[str], None]
EVENT_DRAIN = 10.0


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: str
    clients: int = 64
    duration: float = 10.0
    transport: str = "http"
    tenants: int = 8
    resources: int = 50
    listeners: int = 0  # per tenant
    listener_client: str = "raw"  # bench.listeners.CLIENTS
    rate: float = 10.0
    hot_slots: int = 1
    bookings_per_resource: int = 25
    with_pgbench: bool = False
    pgbench_runs: int = 1
    pgbench_seconds: int = 0  # 0: as long as the scenario
    seed: int = 1
    driver: str = "python"  # or "wrk": spread/hot-tenant load made by wrk (bench.wrkdriver)


async def run(
    plan: Plan, urls: list[str], *, database_url: str | None, pids: list[int], log: Log
) -> Result:
    sessions = [session(limit=plan.clients + 16) for _ in urls]
    transports: list[Transport] = []
    listeners: Listeners | None = None
    try:
        tenants = await make_tenants(sessions[0], urls, plan.tenants, plan.resources, run_tag())
        log(f"setup: {len(tenants)} tenants x {plan.resources} resources")
        transports = await _transports(plan, urls, sessions, tenants)
        rss_before = [rss_kb(pid) for pid in pids]
        if plan.listeners:
            jobs = [
                (urls[j % len(urls)], str(t.id), t.token)
                for t in tenants
                for j in range(plan.listeners)
            ]
            listeners = Listeners(jobs, client=plan.listener_client)
            started = time.monotonic()
            error = await listeners.start()
            log(
                f"listeners: {listeners.connected}/{len(jobs)} sockets connected in"
                f" {time.monotonic() - started:.1f} s by {listeners.processes} processes"
                f" ({plan.listener_client} clients)" + (f"; first error {error}" if error else "")
            )
        extra: dict[str, float] = {}
        if plan.scenario == "idle" and pids and listeners is not None:
            await asyncio.sleep(2.0)
            rss_after = [rss_kb(pid) for pid in pids]
            sockets = listeners.connected if listeners else 0
            grown = sum(rss_after) - sum(rss_before)
            extra["server_rss_before_kb"] = sum(rss_before)
            extra["server_rss_after_kb"] = sum(rss_after)
            extra["server_kb_per_idle_socket"] = round(grown / sockets, 2) if sockets else 0.0
        heads_before = await _heads(sessions[0], urls[0], tenants)
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        recorder = Recorder()
        world = World(
            clients=plan.clients,
            duration=plan.duration,
            seed=plan.seed,
            urls=urls,
            sessions=sessions,
            tenants=tenants,
            transports=transports,
            recorder=recorder,
            rate=plan.rate,
            hot_slots=plan.hot_slots,
            bookings_per_resource=plan.bookings_per_resource,
            extra=extra,
        )
        wrk_op = None
        if plan.driver == "wrk":
            if plan.scenario not in ("spread", "hot-tenant") or plan.transport != "http":
                raise RuntimeError("--driver wrk makes only spread and hot-tenant load")
            log(f"wrk: {plan.clients} connections over {len(urls)} processes, {plan.duration} s")
            wrk_op, requests, elapsed, created = await asyncio.to_thread(
                wrkdriver.drive,
                urls,
                tenants,
                clients=plan.clients,
                seconds=plan.duration,
                seed=plan.seed,
                hours=SPREAD_HOURS,
            )
            recorder.created.extend(created)
            failed = sum(n for k, n in wrk_op.statuses.items() if k in ("5xx", "no answer"))
        else:
            elapsed = await _drive(world, SCENARIOS[plan.scenario], log)
            requests, failed = recorder.requests, recorder.errors
        heads_after = await _heads(sessions[0], urls[0], tenants)
        events = None
        if listeners is not None:
            windows = {
                str(t.id): (heads_before[str(t.id)], heads_after[str(t.id)]) for t in tenants
            }
            events = await listeners.finish(windows, EVENT_DRAIN)
            if pids and events.received:
                # Everything the serve processes did meanwhile (HTTP and relay too).
                cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
                extra["server_cpu_seconds"] = round(cpu, 2)
                extra["server_cpu_us_per_delivery"] = round(cpu / events.received * 1e6, 1)
        # After the scenario: its events would queue in the relay ahead of the scenario's.
        result_pg = None
        if plan.with_pgbench:
            if database_url is None:
                raise RuntimeError("--with-pgbench needs the database (--database-url)")
            slots = await pgbench.prepare(sessions[0], urls[0], tenants, plan.clients)
            result_pg = await asyncio.to_thread(
                pgbench.ceiling,
                database_url,
                slots,
                clients=plan.clients,
                seconds=plan.pgbench_seconds or max(1, round(plan.duration)),
                runs=plan.pgbench_runs,
                log=log,
            )
        if pids and requests:
            # CPU of the serve processes per request (HTTP, relay and all): on a shared
            # machine a steadier figure than requests per second.
            used = sum(cpu_seconds(pid) for pid in pids) - cpu_before
            extra["server_cpu_us_per_request"] = round(used / requests * 1e6, 1)
        ops = [wrk_op] if wrk_op is not None else operations(recorder, elapsed)
        creates = sum(op.statuses.get("201", 0) for op in ops if op.name == "create")
        result = Result(
            scenario=plan.scenario,
            transport=plan.transport,
            clients=plan.clients,
            processes=len(urls),
            seconds=round(elapsed, 2),
            requests=requests,
            rps=round(requests / elapsed, 1) if elapsed else 0.0,
            errors=failed,
            operations=ops,
            events=events,
            pgbench=result_pg,
            extra=world.extra,
        )
        if result_pg is not None and result_pg.tps:
            result.ratio_to_pgbench = round(creates / elapsed / result_pg.tps, 3)
        if database_url is not None:
            result.checks = await verify(
                database_url, [t.id for t in tenants], recorder.created, recorder.races
            )
        else:
            log("no database URL: skipping verification")
        return result
    finally:
        with contextlib.suppress(Exception):
            await asyncio.gather(*(t.close() for t in transports), return_exceptions=True)
        if listeners is not None:
            await asyncio.to_thread(listeners.close)
        for http in sessions:
            await http.close()


async def _transports(
    plan: Plan, urls: list[str], sessions: list[aiohttp.ClientSession], tenants: list[Tenant]
) -> list[Transport]:
    """Client i talks to server i % N (round robin) as the admin of tenant i % T."""
    http = [
        HttpTransport(sessions[i % len(urls)], urls[i % len(urls)], tenants[i % len(tenants)].token)
        for i in range(plan.clients)
    ]
    if plan.transport == "http":
        return list(http)
    sockets = await gather_bounded(32, [SocketTransport.connect(h) for h in http])
    return list(sockets)


async def _heads(http: aiohttp.ClientSession, url: str, tenants: list[Tenant]) -> dict[str, int]:
    heads = await gather_bounded(16, [event_head(http, url, t) for t in tenants])
    return {str(t.id): head for t, head in zip(tenants, heads, strict=True)}


async def _drive(world: World, scenario: Callable[[World], Awaitable[None]], log: Log) -> float:
    """Run the scenario with a progress line per second; returns the measured seconds."""
    started = time.monotonic()
    world.deadline = started + world.duration
    work = asyncio.ensure_future(scenario(world))
    last_requests, last_time = 0, started
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=1.0)
            now = time.monotonic()
            rec = world.recorder
            log(
                progress_line(
                    now - started, rec.requests, last_requests, now - last_time, rec.errors
                )
            )
            last_requests, last_time = rec.requests, now
        await work
    finally:
        if not work.done():
            work.cancel()
    # The schedule scenario seeds first and restarts its clock: measure from its deadline.
    return max(0.001, min(time.monotonic(), world.deadline) - (world.deadline - world.duration))
