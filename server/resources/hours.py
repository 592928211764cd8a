"""Validation of a weekly working-hours template as clients send it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from server.errors import ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def check_working_hours(
    hours: Mapping[Any, Any] | None, field: str = "working_hours"
) -> dict[str, list[list[str]]] | None:
    """The template in canonical form (days in week order, pairs sorted), or 422 listing
    every bad pair: each pair needs start < end ("24:00" only as an end), no overlaps."""
    if hours is None:
        return None
    problems: list[dict[str, str]] = []
    canonical: dict[str, list[list[str]]] = {}
    for day in DAYS:
        if day not in hours:
            continue
        pairs = [(str(a), str(b)) for a, b in hours[day]]
        for index, (start, end) in enumerate(pairs):
            if start == "24:00" or _minutes(start) >= _minutes(end):
                problems.append(
                    {"field": f"{field}.{day}.{index}", "message": "start must be before end"}
                )
        ordered = sorted(pairs, key=lambda pair: _minutes(pair[0]))
        for (_, prev_end), (start, _) in itertools.pairwise(ordered):
            if _minutes(start) < _minutes(prev_end):
                problems.append({"field": f"{field}.{day}", "message": "intervals overlap"})
                break
        canonical[day] = [list(pair) for pair in ordered]
    if problems:
        raise ValidationFailed(problems)
    return canonical
