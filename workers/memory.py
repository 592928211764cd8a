"""Giving the worker's free heap memory back to the system, once a minute.

What a soak found (docs/reliability.md, "Soak"): the worker's RSS kept rising for many
minutes while everything it holds stayed flat (malloc's bytes in use, Python's allocated
blocks and object counts, threads). The rise was memory glibc had been given back by
``free`` but kept inside its heap: chunks freed below live ones cannot be returned by
shrinking the heap's top, so each burst of short-lived buffers (result rows, messages)
left more free pages resident. ``malloc_trim(0)`` hands every whole free page back
(``madvise``); the pages are reused on demand if the next burst needs them. A call costs
a few milliseconds at most (3 ms returning 30 MiB on the development machine, 0.1 ms with
nothing to return), once a minute, on the event loop.

Without glibc (musl, macOS) there is nothing to call and the loop is not started.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_SECONDS = 60.0


def malloc_trimmer() -> Callable[[], bool] | None:
    """glibc's ``malloc_trim(0)`` as a function answering whether memory was released,
    or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: bool(trim(0))


async def trim_heap_every(period: float, trim: Callable[[], bool]) -> None:
    """Call ``trim`` every ``period`` seconds until cancelled; a failure is logged, not
    fatal (the worker's jobs matter more than its footprint)."""
    while True:
        await asyncio.sleep(period)
        try:
            trim()
        except Exception:
            log.warning("malloc_trim failed", exc_info=True)
