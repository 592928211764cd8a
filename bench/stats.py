"""Latency samples and status counts per operation, and the percentiles of them."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

# What a request that never got an answer (timeout, reset) is counted as.
NO_ANSWER = 0


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of ``values``; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(slots=True)
class OpStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass(slots=True)
class Recorder:
    """Everything the clients saw; one per run, shared by every client task."""

    started: float = field(default_factory=time.monotonic)
    ops: dict[str, OpStats] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    # (slot key, successes) for every contested slot of the `hot` scenario.
    races: list[tuple[str, int]] = field(default_factory=list)

    def record(self, op: str, status: int, seconds: float) -> None:
        stats = self.ops.get(op)
        if stats is None:
            stats = self.ops[op] = OpStats()
        stats.latencies.append(seconds)
        stats.statuses[status] += 1

    @property
    def requests(self) -> int:
        return sum(len(s.latencies) for s in self.ops.values())

    @property
    def errors(self) -> int:
        """Answers that mean the server or the network failed: 5xx and no answer."""
        return sum(
            n
            for s in self.ops.values()
            for status, n in s.statuses.items()
            if status >= 500 or status == NO_ANSWER
        )
