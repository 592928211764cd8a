"""``python -m bench run|smoke|pgbench|floor|solve``: docs/performance.md says what each
measures."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import msgspec

from bench import floor, wrkdriver, yardstick
from bench.chaos import FAULTS, ChaosPlan, chaos, phase_json
from bench.listeners import CLIENTS, raise_fd_limit
from bench.report import Result, Yardstick, table, write_json
from bench.runner import Plan, run
from bench.scenarios import SCENARIOS
from bench.soak import soak
from bench.solve import SolveFigures, run_solve
from bench.stack import DATA_DIR, Stack, own_stack
from bench.webhooks import measure as measure_webhooks
from server.devservices import free_port, start_postgres

# Scenarios wrk can drive (bench/wrkdriver.py).
WRK_SCENARIOS = ("spread", "hot-tenant")
# Per scenario, what an unset option means.
DEFAULTS: dict[str, dict[str, float]] = {
    "spread": {"clients": 64, "tenants": 64, "resources": 50, "listeners": 0},
    "hot-tenant": {"clients": 64, "tenants": 1, "resources": 50, "listeners": 0},
    "hot": {"clients": 200, "tenants": 1, "resources": 1, "listeners": 0},
    "mixed": {"clients": 64, "tenants": 8, "resources": 50, "listeners": 0},
    "fanout": {"clients": 4, "tenants": 1, "resources": 50, "listeners": 2000},
    "idle": {"clients": 1, "tenants": 1, "resources": 1, "listeners": 1000, "duration": 2},
    "schedule": {"clients": 32, "tenants": 1, "resources": 200, "listeners": 0},
    "search": {"clients": 32, "tenants": 1, "resources": 200, "listeners": 0},
    "series": {"clients": 1, "tenants": 1, "resources": 200, "listeners": 0},
}
# Scenarios whose figure is not the creates (those only seed them).
READS = ("schedule", "search", "series")


def log(line: str) -> None:
    print(line, flush=True)


@contextmanager
def servers(args: argparse.Namespace) -> Iterator[Stack]:
    """The servers named by --url, or the tool's own stack."""
    if args.url:
        urls = [u.rstrip("/") for value in args.url for u in value.split(",") if u]
        yield Stack(urls=urls, database_url=args.database_url, pids=args.pid or [])
        return
    with own_stack(
        args.processes,
        log=log,
        durable=not args.no_fsync,
        postgres_url=args.postgres,
        redis_url=args.redis,
    ) as stack:
        yield stack


def measure_yardstick(args: argparse.Namespace, stack: Stack, seconds: int) -> Yardstick | None:
    """The yardstick on the stack's PostgreSQL, right before the product is measured."""
    if not args.yardstick:
        return None
    if stack.database_url is None:
        raise SystemExit("error: --yardstick needs the database (--database-url with --url)")
    script = Path(args.yardstick_script) if args.yardstick_script else None
    log(f"yardstick: {seconds} s per part, 64 clients, on the same PostgreSQL")
    found = yardstick.run(
        stack.database_url, clients=64, seconds=seconds, port=free_port(), script=script
    )
    log(
        f"yardstick: bare statement {found.bare_tps:.0f} tps, with pg_notify"
        f" {found.notify_tps:.0f} tps, bare app {found.app_rps:.0f} req/s"
        f" p99 {found.app_p99_ms:.1f} ms"
    )
    return found


def compare(result: Result, found: Yardstick | None, stack: Stack) -> None:
    """Fill in the yardstick and the ratios of the result to it."""
    result.durability = stack.durability
    if found is None:
        return
    result.yardstick = found
    creates = [op for op in result.operations if op.name == "create"]
    if creates and found.app_rps:
        created = creates[0].statuses.get("201", 0) / result.seconds if result.seconds else 0.0
        result.ratio_to_bare_app = round(created / found.app_rps, 3)
    if result.pgbench is not None and found.bare_tps:
        result.ratio_to_bare_statement = round(result.pgbench.tps / found.bare_tps, 3)


def plan_from(args: argparse.Namespace) -> Plan:
    defaults = DEFAULTS[args.scenario]

    def pick(name: str) -> float:
        value = getattr(args, name)
        return float(value if value is not None else defaults.get(name, 0))

    return Plan(
        scenario=args.scenario,
        clients=int(pick("clients")),
        duration=float(
            args.duration if args.duration is not None else defaults.get("duration", 10)
        ),
        transport=args.transport,
        tenants=int(pick("tenants")),
        resources=int(pick("resources")),
        listeners=int(pick("listeners")),
        listener_client=args.listener_client,
        rate=args.rate,
        hot_slots=args.hot_slots,
        bookings_per_resource=args.bookings_per_resource,
        with_pgbench=args.with_pgbench,
        pgbench_runs=args.pgbench_runs,
        seed=args.seed,
        driver=args.driver or default_driver(args.scenario, args.transport),
    )


def default_driver(scenario: str, transport: str) -> str:
    """wrk for HTTP ``spread``/``hot-tenant`` when it is installed, as the yardstick drives
    its bare app (the Python clients take a core of this 2-core machine); else Python."""
    if scenario in WRK_SCENARIOS and transport == "http" and wrkdriver.available():
        return "wrk"
    return "python"


def median_line(results: Sequence[Result]) -> str:
    scenario = results[0].scenario
    name = scenario if scenario in READS else "create"
    creates = [op for r in results for op in r.operations if op.name == name]
    rps = statistics.median(op.rps for op in creates) if creates else 0.0
    p99 = statistics.median(op.latency.p99_ms for op in creates) if creates else 0.0
    line = f"median of {len(results)} runs: {rps:.1f} ops/s, p99 {p99:.1f} ms"
    ratios = [r.ratio_to_pgbench for r in results if r.ratio_to_pgbench is not None]
    if ratios:
        line += f", {statistics.median(ratios):.0%} of pgbench"
    return line


def cmd_run(args: argparse.Namespace) -> int:
    plan = plan_from(args)
    results: list[Result] = []
    with servers(args) as stack:
        found = measure_yardstick(args, stack, max(5, round(plan.duration)))
        for index in range(args.repeat):
            run_plan = replace(plan, seed=plan.seed + index)
            result = asyncio.run(
                run(run_plan, stack.urls, database_url=stack.database_url, pids=stack.pids, log=log)
            )
            compare(result, found, stack)
            log(table(result))
            results.append(result)
    if len(results) > 1:
        log(median_line(results))
    if args.json:
        write_json(Path(args.json), results)
    return 0 if all(r.ok for r in results) else 1


SMOKE = [
    Plan("spread", clients=8, duration=2, tenants=2, resources=10, listeners=2, with_pgbench=True),
    Plan("spread", clients=4, duration=2, transport="socket", tenants=2, resources=10),
    Plan("hot", clients=20, duration=2, tenants=1, resources=2, hot_slots=2),
    Plan("mixed", clients=8, duration=2, tenants=2, resources=10, listeners=1),
    Plan("fanout", clients=2, duration=2, tenants=1, resources=10, listeners=20, rate=20),
    Plan("idle", clients=1, duration=1, tenants=1, resources=1, listeners=10),
    Plan("schedule", clients=8, duration=1, tenants=1, resources=10, bookings_per_resource=5),
    Plan("search", clients=8, duration=1, tenants=1, resources=10, bookings_per_resource=5),
    Plan("series", clients=2, duration=1, tenants=1, resources=10),
]


def smoke_problems(result: Result) -> list[str]:
    problems = [f"{c.name}: {c.detail}" for c in result.checks if not c.ok]
    if result.errors:
        problems.append(f"{result.errors} requests failed (5xx or no answer)")
    if not result.requests and result.scenario != "idle":
        problems.append("no requests were made")
    if result.events is not None and result.events.received < result.events.expected:
        problems.append(f"events {result.events.received}/{result.events.expected}")
    return problems


def cmd_smoke(args: argparse.Namespace) -> int:
    failures: list[str] = []
    results: list[Result] = []
    with own_stack(2, log=log, durable=False) as stack:
        for plan in SMOKE:
            log(f"--- smoke: {plan.scenario} over {plan.transport}")
            result = asyncio.run(
                run(plan, stack.urls, database_url=stack.database_url, pids=stack.pids, log=log)
            )
            log(table(result))
            results.append(result)
            failures += [f"{plan.scenario}/{plan.transport}: {p}" for p in smoke_problems(result)]
    if args.json:
        write_json(Path(args.json), results)
    for failure in failures:
        log(f"FAIL {failure}")
    log("smoke: ok" if not failures else f"smoke: {len(failures)} problems")
    return 1 if failures else 0


def cmd_pgbench(args: argparse.Namespace) -> int:
    # No load of its own: setup through the API, then only pgbench is measured.
    plan = Plan(
        "idle",
        clients=args.clients,
        duration=0.0,
        tenants=args.tenants,
        resources=1,
        with_pgbench=True,
        pgbench_runs=args.runs,
        pgbench_seconds=args.duration,
    )
    with servers(args) as stack:
        if stack.database_url is None:
            raise SystemExit("error: pgbench needs --database-url with --url")
        found = measure_yardstick(args, stack, args.duration)
        result = asyncio.run(
            run(plan, stack.urls, database_url=stack.database_url, pids=stack.pids, log=log)
        )
        compare(result, found, stack)
    log(table(result))
    if args.json:
        write_json(Path(args.json), [result])
    return 0


def cmd_floor(args: argparse.Namespace) -> int:
    found = Path(args.yardstick_dir) if args.yardstick_dir else yardstick.find_folder()
    if found is None:
        raise SystemExit(
            "error: shared/yardstick not found above the checkout; pass --yardstick-dir"
        )
    if args.http and not wrkdriver.available():
        raise SystemExit("error: --http needs wrk (apt-get install wrk)")
    with ExitStack() as stack:
        admin_url = args.postgres
        if not admin_url:
            # A private cluster with PostgreSQL's default durability, as the bench's own stack.
            admin_url, stop = start_postgres(DATA_DIR / "floor", durable=True)
            stack.callback(stop)
        result = floor.measure(
            admin_url,
            yardstick=found,
            clients=args.clients,
            tenants=args.tenants,
            seconds=args.duration,
            rounds=args.rounds,
            ladder=args.ladder,
            http=args.http,
            log=log,
        )
    for line in floor.report(result):
        log(line)
    if args.json:
        Path(args.json).write_bytes(msgspec.json.encode(result))
    return 0


def cmd_chaos(args: argparse.Namespace) -> int:
    faults = tuple(f for f in (args.faults or ",".join(FAULTS)).split(",") if f)
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise SystemExit(f"error: unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    plan = ChaosPlan(faults=faults, outage=args.outage, clients=args.clients, rate=args.rate)
    phases = chaos(plan, DATA_DIR / "chaos", log)
    if args.json:
        Path(args.json).write_bytes(msgspec.json.encode([phase_json(p) for p in phases]))
    failed = [p.fault for p in phases if not p.ok]
    log("chaos: ok" if not failed else f"chaos: problems after {', '.join(failed)}")
    return 1 if failed else 0


def cmd_soak(args: argparse.Namespace) -> int:
    trace = Path(args.trace_worker).resolve() if args.trace_worker else None
    result = soak(args.minutes, args.rate, args.warmup, DATA_DIR / "soak", log, trace_worker=trace)
    if args.json:
        Path(args.json).write_bytes(
            msgspec.json.encode(
                {
                    "minutes": result.minutes,
                    "growth": result.growth(),
                    "second_half_growth": result.second_half_growth(),
                }
            )
        )
    return 0 if result.ok else 1


def cmd_solve(args: argparse.Namespace) -> int:
    """The solver scenario: each run on a fresh tenant, the median HTTP time printed."""
    figures: list[SolveFigures] = []
    with servers(args) as stack:
        if stack.database_url is None:
            raise SystemExit("error: solve needs --database-url with --url (for verify)")
        for index in range(args.repeat):
            result = asyncio.run(
                run_solve(
                    stack.urls[0],
                    stack.database_url,
                    demands=args.demands,
                    resources=args.resources,
                    load=args.load,
                    seed=args.seed + index,
                    skills=args.skills,
                    windows=args.windows,
                    log=log,
                )
            )
            log(result.table())
            figures.append(result)
    if len(figures) > 1:
        times = [f.http_seconds for f in figures]
        log(f"median of {len(figures)} runs: {statistics.median(times):.2f} s per solve")
    if args.json:
        Path(args.json).write_text(
            json.dumps([dataclasses.asdict(f) for f in figures], indent=2) + "\n"
        )
    bad = [f for f in figures if f.violations or f.assigned < f.greedy_assigned]
    return 1 if bad else 0


def cmd_webhooks(args: argparse.Namespace) -> int:
    env = {"BOOKING_WEBHOOK_ALLOW_PRIVATE": "1"}
    with own_stack(1, log=log, extra_env=env, workers=1) as stack:
        return asyncio.run(
            measure_webhooks(
                stack.urls[0],
                rate=args.rate,
                seconds=args.duration,
                p99_ms=args.p99_ms,
                log=log,
                worker_pid=stack.worker_pids[0],
            )
        )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", action="append", help="server(s) to load; else own stack")
    parser.add_argument("--database-url", help="for verification and pgbench, with --url")
    parser.add_argument("--pid", type=int, action="append", help="serve pids (RSS), with --url")
    parser.add_argument("--processes", type=int, default=2, help="own stack: serve processes")
    parser.add_argument("--json", help="write the results as JSON to this path")
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="own stack: private PostgreSQL with fsync and synchronous_commit off (quick runs;"
        " the report says so)",
    )
    parser.add_argument("--postgres", help="own stack on this PostgreSQL (superuser URL)")
    parser.add_argument("--redis", help="own stack on this Redis")
    parser.add_argument(
        "--yardstick",
        action="store_true",
        help="run shared/yardstick/run.sh on the same PostgreSQL first; report the ratios",
    )
    parser.add_argument("--yardstick-script", help="path of the yardstick's run.sh")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="one scenario")
    run_cmd.add_argument("--scenario", choices=sorted(SCENARIOS), default="spread")
    run_cmd.add_argument("--clients", type=int)
    run_cmd.add_argument("--duration", type=float)
    run_cmd.add_argument("--transport", choices=["http", "socket"], default="http")
    run_cmd.add_argument("--listeners", type=int, help="sockets per tenant")
    run_cmd.add_argument(
        "--listener-client",
        choices=CLIENTS,
        default="raw",
        help="listening sockets: a bare websocket client (cheap) or python-socketio's",
    )
    run_cmd.add_argument("--tenants", type=int)
    run_cmd.add_argument("--resources", type=int, help="per tenant")
    run_cmd.add_argument("--rate", type=float, default=10.0, help="fanout: writes per second")
    run_cmd.add_argument("--hot-slots", type=int, default=1)
    run_cmd.add_argument("--bookings-per-resource", type=int, default=25)
    run_cmd.add_argument("--with-pgbench", action="store_true")
    run_cmd.add_argument("--pgbench-runs", type=int, default=1)
    run_cmd.add_argument("--repeat", type=int, default=1, help="runs; the median is printed")
    run_cmd.add_argument("--seed", type=int, default=1)
    run_cmd.add_argument(
        "--driver",
        choices=["python", "wrk"],
        help="spread/hot-tenant over HTTP: wrk (the default when installed, as the yardstick"
        " drives its bare app) or the Python clients",
    )
    _common(run_cmd)
    run_cmd.set_defaults(func=cmd_run)
    smoke = sub.add_parser("smoke", help="every scenario for a few seconds; fails on problems")
    smoke.add_argument("--json")
    smoke.set_defaults(func=cmd_smoke)
    pg = sub.add_parser("pgbench", help="only the database ceiling of the booking SQL")
    pg.add_argument("--clients", type=int, default=64)
    pg.add_argument("--duration", type=int, default=10)
    pg.add_argument("--tenants", type=int, default=64)
    pg.add_argument("--runs", type=int, default=1)
    _common(pg)
    pg.set_defaults(func=cmd_pgbench)
    floor_cmd = sub.add_parser(
        "floor", help="the yardstick's statement on the product's schema, beside the create"
    )
    floor_cmd.add_argument("--clients", type=int, default=64)
    floor_cmd.add_argument("--tenants", type=int, default=64)
    floor_cmd.add_argument("--duration", type=int, default=15, help="seconds per part")
    floor_cmd.add_argument("--rounds", type=int, default=2, help="rounds of the three parts")
    floor_cmd.add_argument(
        "--ladder", action="store_true", help="then drop indexes and foreign keys in turn"
    )
    floor_cmd.add_argument(
        "--http", action="store_true", help="and the bare app sending the product's SQL (wrk)"
    )
    floor_cmd.add_argument("--postgres", help="a superuser URL (default: a private cluster)")
    floor_cmd.add_argument("--yardstick-dir", help="the folder of the yardstick's cte.sql")
    floor_cmd.add_argument("--json", help="write the figures to this path")
    floor_cmd.set_defaults(func=cmd_floor)
    chaos_cmd = sub.add_parser("chaos", help="faults in turn under load; checks after each")
    chaos_cmd.add_argument(
        "--faults", help=f"comma-separated, in order (default: {','.join(FAULTS)})"
    )
    chaos_cmd.add_argument(
        "--outage", type=float, default=10.0, help="seconds Redis is stopped, then frozen"
    )
    chaos_cmd.add_argument("--clients", type=int, default=6)
    chaos_cmd.add_argument("--rate", type=float, default=8.0, help="bookings per second in all")
    chaos_cmd.add_argument("--json", help="write the phases' checks and figures to this path")
    chaos_cmd.set_defaults(func=cmd_chaos)
    soak_cmd = sub.add_parser("soak", help="steady load; RSS, fds, pool, lag and p99 per minute")
    soak_cmd.add_argument("--minutes", type=int, default=10, help="1-240")
    soak_cmd.add_argument("--rate", type=float, default=8.0, help="bookings per second in all")
    soak_cmd.add_argument("--warmup", type=int, default=2, help="minutes before RSS is compared")
    soak_cmd.add_argument("--json", help="write the minutes and the growth to this path")
    soak_cmd.add_argument(
        "--trace-worker", help="run the worker under tracemalloc; per-minute growth to this path"
    )
    soak_cmd.set_defaults(func=cmd_soak)
    solve = sub.add_parser("solve", help="the solver on a busy week: time, greedy, verify")
    solve.add_argument("--demands", type=int, default=500)
    solve.add_argument("--resources", type=int, default=200)
    solve.add_argument("--load", type=float, default=0.5, help="share already booked")
    solve.add_argument("--skills", type=int, default=10, help="skills in all (2 per person)")
    solve.add_argument("--windows", choices=["day", "half"], default="day")
    solve.add_argument("--seed", type=int, default=1)
    solve.add_argument("--repeat", type=int, default=1, help="runs; the median is printed")
    _common(solve)
    solve.set_defaults(func=cmd_solve)
    hooks = sub.add_parser("webhooks", help="commit → delivery latency of webhooks")
    hooks.add_argument("--rate", type=float, default=100.0, help="events per second")
    hooks.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    hooks.add_argument("--p99-ms", type=float, default=1000.0, help="fail above this p99")
    hooks.set_defaults(func=cmd_webhooks)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    raise_fd_limit()
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
