"""The worker hands free heap memory back: the trim loop, and what a trim does to RSS."""

import asyncio
import contextlib
import itertools
import platform
import time
from pathlib import Path

import pytest

from workers import memory


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_the_loop_trims_every_period_until_cancelled() -> None:
    calls: list[float] = []
    four = asyncio.Event()

    def trim() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise OSError("a failure is logged, the loop goes on")
        if len(calls) == 4:
            four.set()
        return True

    task = asyncio.create_task(memory.trim_heap_every(0.01, trim))
    await asyncio.wait_for(four.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert all(b - a >= 0.009 for a, b in itertools.pairwise(calls))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_a_trim_returns_freed_heap_pages_held_below_a_live_chunk() -> None:
    """The soak's pattern: a burst of buffers freed, one live chunk above them pins the
    heap's top, so ``free`` alone keeps the pages resident; the trim returns them."""
    trim = memory.malloc_trimmer()
    assert trim is not None
    trim()
    # 100 KiB: below glibc's mmap threshold, so on the heap (bytearray uses malloc).
    burst = [bytearray(100 * 1024) for _ in range(300)]
    for chunk in burst:
        chunk[::4096] = b"x" * len(chunk[::4096])  # touch every page
    pin = bytearray(100 * 1024)
    del burst
    held = _rss_kb()
    trim()
    released = held - _rss_kb()
    assert released > 15 * 1024, f"released {released} KiB of about 30 MiB freed"
    assert pin is not None
