"""Weekly working-hours templates turned into real UTC intervals, correct across DST.

A template maps weekday keys (``mon`` … ``sun``) to lists of ``["HH:MM", "HH:MM"]``
pairs in the resource's IANA zone; ``"24:00"`` ends a pair at the next midnight, and an
end at or before its start runs into the next day. A template of ``None`` means always
available; a weekday missing from a template means not available that day.

Each local day is built with ``zoneinfo`` and then converted, so a 09:00-17:00 day is
8 real hours on both DST change days, and a 00:00-24:00 day is 23 or 25. A wall time
that does not exist (the skipped hour) or exists twice (the repeated hour) resolves as
``fold=0`` does: with the offset in force before the change.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, get_args

from server.errors import ValidationFailed
from server.timezones import zone

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Day, ...] = get_args(Day)  # in ``date.weekday()`` order
WorkingHours = Mapping[str, Sequence[Sequence[str]]]
Interval = tuple[datetime, datetime]
_DAY = timedelta(days=1)


def parse_clock(value: str) -> tuple[int, int]:
    """``"HH:MM"`` (00:00-24:00) as (hours, minutes); ``ValueError`` otherwise."""
    hours_text, sep, minutes_text = value.partition(":")
    if not sep or len(hours_text) != 2 or len(minutes_text) != 2:
        raise ValueError(f"expected HH:MM, got {value!r}")
    hours, minutes = int(hours_text), int(minutes_text)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) and (hours, minutes) != (24, 0):
        raise ValueError(f"not a time of day: {value!r}")
    return hours, minutes


def _at(day: date, clock: tuple[int, int], tz: tzinfo) -> datetime:
    if clock == (24, 0):
        return datetime.combine(day + _DAY, time(0, 0), tz)
    return datetime.combine(day, time(*clock), tz)


def _zone(tz: str | tzinfo) -> tzinfo:
    return zone(tz) if isinstance(tz, str) else tz


def working_intervals(
    working_hours: WorkingHours | None, tz: str | tzinfo, start: datetime, end: datetime
) -> list[Interval]:
    """The working time within ``[start, end)`` as sorted, merged UTC intervals."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    if working_hours is None:
        return [(start, end)]
    local_tz = _zone(tz)
    # One day of slack each side: an overnight pair or a zone offset can reach into the window.
    day = start.astimezone(local_tz).date() - _DAY
    last = end.astimezone(local_tz).date() + _DAY
    intervals: list[Interval] = []
    while day <= last:
        for pair in working_hours.get(WEEKDAYS[day.weekday()], ()):
            begin_clock, end_clock = parse_clock(pair[0]), parse_clock(pair[1])
            begin = _at(day, begin_clock, local_tz)
            finish = _at(day, end_clock, local_tz)
            if finish <= begin:
                finish = _at(day + _DAY, end_clock, local_tz)
            lo, hi = max(begin.astimezone(UTC), start), min(finish.astimezone(UTC), end)
            if lo < hi:
                intervals.append((lo, hi))
        day += _DAY
    return merge(intervals)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join intervals that overlap or touch (half-open, so touching is joined)."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """``free`` minus ``busy``, both sorted by start; one pass over each."""
    result: list[Interval] = []
    busy_iter = iter(sorted(busy))
    current = next(busy_iter, None)
    for lo, hi in free:
        while current is not None and lo < hi:
            b_lo, b_hi = current
            if b_hi <= lo:
                current = next(busy_iter, None)
                continue
            if b_lo >= hi:
                break
            if b_lo > lo:
                result.append((lo, b_lo))
            lo = max(lo, b_hi)
            if b_hi <= hi:
                current = next(busy_iter, None)
        if lo < hi:
            result.append((lo, hi))
    return result


def within_working_hours(
    working_hours: WorkingHours | None, tz: str | tzinfo, start: datetime, end: datetime
) -> bool:
    """Whether ``[start, end)`` lies wholly inside the resource's working hours.

    ``None`` (no template) is always available. Consecutive working periods that touch,
    such as ``mon`` until 24:00 and ``tue`` from 00:00, count as one.
    """
    if end <= start:
        return False
    if working_hours is None:
        return True
    intervals = working_intervals(working_hours, tz, start, end)
    return len(intervals) == 1 and intervals[0] == (start.astimezone(UTC), end.astimezone(UTC))


def _minutes(clock: str) -> int:
    hours, minutes = parse_clock(clock)
    return hours * 60 + minutes


def sorted_template(hours: Mapping[Any, Any] | None) -> dict[str, list[list[str]]] | None:
    """A template in canonical form: days in week order, each day's pairs by start."""
    if hours is None:
        return None
    return {
        day: sorted(([str(a), str(b)] for a, b in hours[day]), key=lambda p: _minutes(p[0]))
        for day in WEEKDAYS
        if day in hours
    }


def check_template(hours: Mapping[Any, Any], field: str = "working_hours") -> None:
    """422 listing every bad pair of a template (its clocks already ``HH:MM``): each pair
    needs start < end ("24:00" only as an end), and a day's pairs may not overlap."""
    problems: list[dict[str, str]] = []
    for day, pairs in (sorted_template(hours) or {}).items():
        for index, (start, end) in enumerate(hours[day]):
            if start == "24:00" or _minutes(start) >= _minutes(end):
                problems.append(
                    {"field": f"{field}.{day}.{index}", "message": "start must be before end"}
                )
        for (_, prev_end), (start, _) in itertools.pairwise(pairs):
            if _minutes(start) < _minutes(prev_end):
                problems.append({"field": f"{field}.{day}", "message": "intervals overlap"})
                break
    if problems:
        raise ValidationFailed(problems)
