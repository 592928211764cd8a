"""What blocks a period, as the resource's lock found it, turned into the 409 it means.

``app_resource_conflicts`` and ``app_lock_resource_periods`` (SQL) list blocking bookings,
live holds (``status: "held"``, ``number: null``) and time off (``status: "time_off"``)
in one JSON list. A booking or hold wins: 409 ``booking_conflict`` listing those; time off
alone gives 409 ``resource_unavailable`` listing it. Bookings, holds, time off and series
all refuse through here, so the answer is the same whichever writer asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec

from server import errors
from server.bookings.rules import utc
from server.bookings.schemas import ConflictOut, TimeOffConflictOut

TIME_OFF = "time_off"
T = TypeVar("T", ConflictOut, TimeOffConflictOut)


def split(found: Sequence[Any] | None, *, occurrences: bool = False) -> tuple[list[Any], list[Any]]:
    """(bookings and holds, time off) as JSON-ready bodies, times in UTC; each names its
    ``occurrence_start`` only when ``occurrences`` (a series)."""
    blocking: list[Any] = []
    time_off: list[Any] = []
    seen: set[Any] = set()
    for entry in found or ():
        if not occurrences:
            entry = {k: v for k, v in entry.items() if k != "occurrence_start"}
        if entry["status"] == TIME_OFF:
            item = _in_utc(msgspec.convert(entry, TimeOffConflictOut, strict=False))
            if (item.id, item.occurrence_start) not in seen:
                seen.add((item.id, item.occurrence_start))
                time_off.append(msgspec.to_builtins(item))
        else:
            blocking.append(
                msgspec.to_builtins(_in_utc(msgspec.convert(entry, ConflictOut, strict=False)))
            )
    return blocking, time_off


def _in_utc(item: T) -> T:
    occurrence = item.occurrence_start
    return msgspec.structs.replace(
        item,
        start=utc(item.start),
        end=utc(item.end),
        occurrence_start=occurrence if occurrence is msgspec.UNSET else utc(occurrence),
    )


def refuse(found: Sequence[Any] | None, *, occurrences: bool = False) -> None:
    """Raise the 409 that ``found`` means; nothing when it is empty."""
    conflicts, time_off = split(found, occurrences=occurrences)
    if conflicts:
        raise errors.BookingConflict(conflicts=conflicts)
    if time_off:
        raise errors.ResourceUnavailable(time_off=time_off)
