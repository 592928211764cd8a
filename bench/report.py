"""The run's result as Structs (for ``--json``), the final table and the progress line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from bench.stats import NO_ANSWER, Recorder, percentile


class Latency(msgspec.Struct, kw_only=True):
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class Operation(msgspec.Struct, kw_only=True):
    name: str
    count: int
    rps: float
    latency: Latency
    statuses: dict[str, int]


class Events(msgspec.Struct, kw_only=True):
    sockets: int
    connected: int
    expected: int
    received: int
    duplicates: int
    latency: Latency  # receive time minus the event's `at`


class Pgbench(msgspec.Struct, kw_only=True):
    clients: int
    seconds: int
    tps: float
    latency_ms: float
    runs: list[float] = msgspec.field(default_factory=list)


class Yardstick(msgspec.Struct, kw_only=True):
    """``shared/yardstick/run.sh`` in the same run: the bare statement under pgbench, with
    pg_notify, and behind a bare app under wrk."""

    bare_tps: float
    notify_tps: float
    app_rps: float
    app_p99_ms: float
    clients: int = 0
    seconds: int = 0


class Check(msgspec.Struct, kw_only=True):
    name: str
    ok: bool
    detail: str


class Result(msgspec.Struct, kw_only=True):
    scenario: str
    transport: str
    clients: int
    processes: int
    seconds: float
    requests: int
    rps: float
    errors: int
    operations: list[Operation]
    events: Events | None = None
    pgbench: Pgbench | None = None
    ratio_to_pgbench: float | None = None
    yardstick: Yardstick | None = None
    # Creates/s over the bare app's req/s; the product's pgbench tps over the bare statement's.
    ratio_to_bare_app: float | None = None
    ratio_to_bare_statement: float | None = None
    durability: str = ""
    extra: dict[str, float] = msgspec.field(default_factory=dict)
    checks: list[Check] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def latency(seconds: Sequence[float]) -> Latency:
    ms = [s * 1000 for s in seconds]
    return Latency(
        count=len(ms),
        p50_ms=round(percentile(ms, 50), 2),
        p95_ms=round(percentile(ms, 95), 2),
        p99_ms=round(percentile(ms, 99), 2),
        max_ms=round(max(ms, default=0.0), 2),
    )


def status_name(status: int) -> str:
    return "no answer" if status == NO_ANSWER else str(status)


def operations(recorder: Recorder, seconds: float) -> list[Operation]:
    return [
        Operation(
            name=name,
            count=len(stats.latencies),
            rps=round(len(stats.latencies) / seconds, 1) if seconds > 0 else 0.0,
            latency=latency(stats.latencies),
            statuses={status_name(s): n for s, n in sorted(stats.statuses.items())},
        )
        for name, stats in sorted(recorder.ops.items())
    ]


def progress_line(
    elapsed: float, requests: int, last_requests: int, gap: float, errors: int
) -> str:
    rps = (requests - last_requests) / gap if gap > 0 else 0.0
    return f"  {elapsed:6.1f}s  requests {requests:8d}  rps {rps:8.1f}  errors {errors:6d}"


def table(result: Result) -> str:
    """The human summary: one row per operation, then events, pgbench and checks."""
    lines = [
        f"scenario {result.scenario} · transport {result.transport} · clients {result.clients}"
        f" · processes {result.processes} · {result.seconds:.1f} s",
        f"{'operation':<12} {'count':>8} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'max ms':>8}  statuses",
    ]
    for op in result.operations:
        statuses = " ".join(f"{k}:{v}" for k, v in op.statuses.items())
        lat = op.latency
        lines.append(
            f"{op.name:<12} {op.count:>8} {op.rps:>8.1f} {lat.p50_ms:>8.1f} {lat.p95_ms:>8.1f}"
            f" {lat.p99_ms:>8.1f} {lat.max_ms:>8.1f}  {statuses}"
        )
    lines.append(f"{'all':<12} {result.requests:>8} {result.rps:>8.1f}  errors {result.errors}")
    if (ev := result.events) is not None:
        lines.append(
            f"events: {ev.received}/{ev.expected} received by {ev.connected}/{ev.sockets} sockets"
            f" (duplicates {ev.duplicates}); commit-to-receive p50 {ev.latency.p50_ms:.1f}"
            f" p95 {ev.latency.p95_ms:.1f} p99 {ev.latency.p99_ms:.1f}"
            f" max {ev.latency.max_ms:.1f} ms"
        )
    if (pg := result.pgbench) is not None:
        runs = ", ".join(f"{tps:.0f}" for tps in pg.runs)
        lines.append(
            f"pgbench (same SQL, {pg.clients} clients, {pg.seconds} s): {pg.tps:.1f} tps"
            f" (runs {runs}), {pg.latency_ms:.2f} ms average"
        )
    if result.ratio_to_pgbench is not None:
        lines.append(f"HTTP/pgbench ratio: {result.ratio_to_pgbench:.0%}")
    if (ys := result.yardstick) is not None:
        lines.append(
            f"yardstick (same run, {ys.clients} clients, {ys.seconds} s): bare statement"
            f" {ys.bare_tps:.0f} tps, with pg_notify {ys.notify_tps:.0f} tps, bare app"
            f" {ys.app_rps:.0f} req/s p99 {ys.app_p99_ms:.1f} ms"
        )
    if result.ratio_to_bare_app is not None:
        lines.append(f"creates/s over the bare app: {result.ratio_to_bare_app:.2f}")
    if result.ratio_to_bare_statement is not None:
        lines.append(
            f"pgbench create over the bare statement: {result.ratio_to_bare_statement:.2f}"
        )
    if result.durability:
        lines.append(f"database: {result.durability}")
    for key, value in result.extra.items():
        lines.append(f"{key}: {value:g}")
    for check in result.checks:
        lines.append(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    return "\n".join(lines)


def write_json(path: Path, results: list[Result]) -> None:
    payload = results[0] if len(results) == 1 else results
    path.write_bytes(msgspec.json.format(msgspec.json.encode(payload)) + b"\n")
