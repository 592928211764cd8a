"""Free slots across resources: working hours minus what blocks, cut into ``step`` starts.

Pure computation on what two queries read (the matching resources, then everything that
blocks them in the window), so the query count does not grow with the resources. Each
resource yields its slots in start order; a heap merge by ``(start, resource_id)`` stops
at ``limit``, so only the slots returned are ever built.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from server.availability.hours import Interval, subtract, working_intervals

Slot = tuple[datetime, UUID]


def _starts(
    free: Sequence[Interval], origin: datetime, duration: timedelta, step: timedelta
) -> Iterator[datetime]:
    for lo, hi in free:
        k = -((origin - lo) // step)  # the first origin + k * step at or after lo
        start = origin + k * step
        while start + duration <= hi:
            yield start
            start += step


def _slots(
    resource: Mapping[str, Any],
    busy: Iterable[Interval],
    window: Interval,
    duration: timedelta,
    step: timedelta,
) -> Iterator[Slot]:
    working = working_intervals(resource["working_hours"], resource["timezone"], *window)
    free = subtract(working, busy)
    resource_id: UUID = resource["id"]
    for start in _starts(free, window[0], duration, step):
        yield start, resource_id


def find_slots(
    resources: Sequence[Mapping[str, Any]],
    busy: Mapping[UUID, list[Interval]],
    window: Interval,
    *,
    duration: timedelta,
    step: timedelta,
    limit: int,
) -> list[Slot]:
    """The first ``limit`` slots of exactly ``duration`` by (start, resource_id)."""
    per_resource = [
        _slots(r, sorted(busy.get(r["id"], ())), window, duration, step) for r in resources
    ]
    return list(itertools.islice(heapq.merge(*per_resource), limit))
