"""``python -m bench soak --minutes N``: steady load on the chaos stack (two serve
processes, a worker, private PostgreSQL and Redis), one line per minute: RSS and open
descriptors of every process, its PostgreSQL connections, relay lag and booking p99.

The verdict is memory growth after warm-up: each process's RSS at the end against its RSS
after ``warmup`` minutes (target: at most 5 %), and the same over the run's second half,
so a slow leak cannot hide behind a generous warm-up: memory that is still warming up
grows less and less, a leak grows as much in the second half as in the first. Bounded:
at most ``MAX_MINUTES``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos import ChaosPlan, Stack, chaos_stack, prepare_load
from bench.mirrors import Mirror
from bench.procs import open_fds, pool_sizes
from bench.stack import rss_kb
from bench.stats import percentile
from bench.writers import Writers, failed

Log = Callable[[str], None]
MAX_MINUTES = 240
GROWTH_TARGET = 0.05


@dataclass(slots=True)
class Minute:
    minute: int
    writes: int
    failed: int
    booking_p99_ms: float
    relay_lag_p99_ms: float
    rss_kb: dict[str, int]
    fds: dict[str, int]
    pool: dict[str, int]


@dataclass(slots=True)
class SoakResult:
    minutes: list[Minute] = field(default_factory=list)
    warmup: int = 2

    def growth(self) -> dict[str, float]:
        """Per process: RSS at the end over RSS after warm-up, minus one."""
        if len(self.minutes) <= self.warmup:
            return {}
        base = self.minutes[self.warmup - 1].rss_kb
        last = self.minutes[-1].rss_kb
        return _growth(base, last)

    def second_half_growth(self) -> dict[str, float]:
        """Per process: RSS at the end over RSS at the middle minute, minus one."""
        if len(self.minutes) <= self.warmup:
            return {}
        middle = self.minutes[max(self.warmup, len(self.minutes) // 2) - 1].rss_kb
        return _growth(middle, self.minutes[-1].rss_kb)

    @property
    def ok(self) -> bool:
        growth, tail = self.growth(), self.second_half_growth()
        values = [*growth.values(), *tail.values()]
        return bool(growth) and all(value <= GROWTH_TARGET for value in values)


def _growth(base: dict[str, int], last: dict[str, int]) -> dict[str, float]:
    return {name: last[name] / base[name] - 1 for name in base if base[name] and name in last}


def line(m: Minute) -> str:
    procs = " ".join(
        f"{name} {m.rss_kb[name] / 1024:.1f}MiB/{m.fds[name]}fd/{m.pool.get(name, 0)}conn"
        for name in sorted(m.rss_kb)
    )
    return (
        f"min {m.minute:3d}: {m.writes} bookings, {m.failed} failed, p99 {m.booking_p99_ms:.0f} ms,"
        f" relay lag p99 {m.relay_lag_p99_ms:.0f} ms | {procs}"
    )


async def _minute(
    index: int, stack: Stack, writers: Writers, mirrors: list[Mirror], since: float
) -> Minute:
    now = time.monotonic()
    done = [w for w in writers.writes if w.finished is not None and since <= w.finished < now]
    waits = [(w.finished or now) - w.started for w in done]
    bad = [a for a in writers.attempts_between(since, now) if failed(a[1])]
    lags = [lag for m in mirrors for lag in m.lags]
    for m in mirrors:
        m.lags.clear()
    pools = await pool_sizes(stack.database_url, stack.procs)
    alive = [p for p in stack.procs if p.alive()]
    return Minute(
        minute=index,
        writes=len(done),
        failed=len(bad),
        booking_p99_ms=1000 * percentile(waits, 99),
        relay_lag_p99_ms=1000 * percentile(lags, 99),
        rss_kb={p.name: rss_kb(p.pid) for p in alive},
        fds={p.name: open_fds(p.pid) for p in alive},
        pool={name: size for name, (size, _) in pools.items()},
    )


async def run_soak(stack: Stack, minutes: int, rate: float, warmup: int, log: Log) -> SoakResult:
    plan = ChaosPlan(rate=rate)
    mirrors, writers = await prepare_load(plan, stack)
    result = SoakResult(warmup=warmup)
    try:
        await asyncio.gather(*(m.start() for m in mirrors))
        await writers.start()
        since = time.monotonic()
        for index in range(1, minutes + 1):
            await asyncio.sleep(max(0.0, since + 60 - time.monotonic()))
            minute = await _minute(index, stack, writers, mirrors, since)
            since += 60
            result.minutes.append(minute)
            log(line(minute))
    finally:
        await writers.close()
        await asyncio.gather(*(m.close() for m in mirrors))
    return result


def soak(
    minutes: int,
    rate: float,
    warmup: int,
    folder: Path,
    log: Log,
    *,
    trace_worker: Path | None = None,
) -> SoakResult:
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"--minutes must be 1..{MAX_MINUTES}")
    folder.mkdir(parents=True, exist_ok=True)
    if trace_worker is not None:
        trace_worker.unlink(missing_ok=True)
        log(f"worker under tracemalloc, reports in {trace_worker} (RSS figures include tracing)")
    with chaos_stack(folder, log, trace_worker=trace_worker) as stack:
        result = asyncio.run(run_soak(stack, minutes, rate, min(warmup, minutes), log))
    for label, growth in (
        (f"after minute {result.warmup}", result.growth()),
        (
            f"after minute {max(result.warmup, len(result.minutes) // 2)}",
            result.second_half_growth(),
        ),
    ):
        shown = ", ".join(f"{name} {value:+.1%}" for name, value in sorted(growth.items()))
        log(f"RSS growth {label}: {shown or 'n/a (too short)'} (target <= {GROWTH_TARGET:.0%})")
    return result
