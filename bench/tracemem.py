"""``python -m bench.tracemem OUT MODULE``: run ``python -m MODULE`` and append to OUT,
every ``BENCH_TRACE_SECONDS`` (60), where its memory went.

For the soak's ``--trace-worker``: finding what a process keeps (a cache without bound,
results piling up) rather than guessing from RSS. Every report gives RSS next to what
glibc's malloc holds (``mallinfo2``: bytes in use, free inside its heaps, mmapped),
Python's allocated blocks, threads and object counts per type. With
``BENCH_TRACE_MALLOC=1`` the process also runs under ``tracemalloc`` and each report adds
the lines whose allocations grew most since the previous report and since the first;
tracing costs CPU and memory of its own, so the RSS of a traced run is not the soak's.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import os
import runpy
import sys
import threading
import time
import tracemalloc
from pathlib import Path

FRAMES = 6
TOP = 25
# Allocations made by the tracing and importing machinery say nothing about the program.
IGNORED = (
    "<frozen importlib._bootstrap>",
    "<frozen importlib._bootstrap_external>",
    "<unknown>",
    "*/linecache.py",
    __file__,
)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _malloc_line() -> str:
    """glibc's view: in use, free but kept inside its heaps, and mmapped blocks (MiB)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return "malloc: n/a"
    mib = 2**20
    return (
        f"malloc: heaps {info.arena / mib:.1f} MiB (in use {info.uordblks / mib:.1f},"
        f" free {info.fordblks / mib:.1f}, {info.ordblks} free chunks),"
        f" mmapped {info.hblkhd / mib:.1f} MiB in {info.hblks}"
    )


def _filtered(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    return snapshot.filter_traces(
        [tracemalloc.Filter(False, name) for name in (*IGNORED, tracemalloc.__file__)]
    )


def _type_counts() -> collections.Counter[str]:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _diff_lines(new: tracemalloc.Snapshot, old: tracemalloc.Snapshot, key: str) -> list[str]:
    stats = [s for s in new.compare_to(old, key) if s.size_diff > 0][:TOP]
    lines = []
    for stat in stats:
        where = stat.traceback.format(
            limit=FRAMES if key == "traceback" else 1, most_recent_first=True
        )
        lines.append(
            f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks"
            f" (now {stat.size / 1024:.1f} KiB): " + " <- ".join(part.strip() for part in where)
        )
    return lines


def _trim() -> str:
    """``malloc_trim(0)``: what RSS drops by when glibc returns its free pages."""
    before = _rss_kb()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return f"; malloc_trim: RSS {before / 1024:.1f} -> {_rss_kb() / 1024:.1f} MiB"


def _snapshot() -> tracemalloc.Snapshot | None:
    return _filtered(tracemalloc.take_snapshot()) if tracemalloc.is_tracing() else None


def _report(out: Path, every: float) -> None:
    first = previous = _snapshot()
    first_types = previous_types = _type_counts()
    started = time.monotonic()
    while True:
        time.sleep(every)
        snapshot = _snapshot()
        types = _type_counts()
        trimmed = _trim() if os.environ.get("BENCH_TRACE_TRIM") == "1" else ""
        grown = (types - previous_types).most_common(TOP)
        grown_all = (types - first_types).most_common(TOP)
        text = [
            f"== {time.monotonic() - started:.0f} s: RSS {_rss_kb() / 1024:.1f} MiB,"
            f" {threading.active_count()} Python threads,"
            f" {len(os.listdir('/proc/self/task'))} threads,"
            f" {sys.getallocatedblocks()} Python blocks, {sum(types.values())} objects",
            _malloc_line() + trimmed,
        ]
        if snapshot is not None and previous is not None and first is not None:
            traced, peak = tracemalloc.get_traced_memory()
            text += [
                f"traced {traced / 2**20:.1f} MiB (peak {peak / 2**20:.1f})",
                "-- grown since the last report (by line):",
                *_diff_lines(snapshot, previous, "lineno"),
                "-- grown since the first report (by line):",
                *_diff_lines(snapshot, first, "lineno"),
                "-- grown since the first report (by traceback, top 8):",
                *_diff_lines(snapshot, first, "traceback")[:8],
            ]
        text += [
            "-- object counts grown since the last report: "
            + ", ".join(f"{name} +{n}" for name, n in grown),
            "-- object counts grown since the first report: "
            + ", ".join(f"{name} +{n}" for name, n in grown_all),
            "",
        ]
        with out.open("a") as file:
            file.write("\n".join(text) + "\n")
        previous, previous_types = snapshot, types


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python -m bench.tracemem OUT MODULE [ARGS...]")
    out, module = Path(sys.argv[1]), sys.argv[2]
    every = float(os.environ.get("BENCH_TRACE_SECONDS", "60"))
    if os.environ.get("BENCH_TRACE_MALLOC") == "1":
        tracemalloc.start(FRAMES)
    threading.Thread(target=_report, args=(out, every), name="tracemem", daemon=True).start()
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
