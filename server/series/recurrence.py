"""RFC 5545 expansion of a series' rule in the resource's time zone (python-dateutil).

The rule runs over local wall-clock times, so every occurrence starts at the first one's
local time and lasts as long: across a DST change its UTC time moves by the offset
change. A local time that does not exist or exists twice resolves as ``fold=0`` does
(the offset in force before the change), as working hours do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import msgspec
from dateutil import rrule

from server import errors
from server.availability.hours import WEEKDAYS
from server.series.schemas import MAX_OCCURRENCES, Recurrence, RecurrenceOut, Weekday
from server.timezones import zone

Period = tuple[datetime, datetime]
_FREQ = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY}


class InvalidRecurrence(errors.Unprocessable):
    code, title = "invalid_recurrence", "Invalid recurrence"


def check_rule(rule: Recurrence, start: datetime) -> RecurrenceOut:
    """422 ``validation_error`` naming every field against the rule's shape; the rule as
    applied otherwise."""
    problems: list[dict[str, str]] = []
    if (rule.count is None) == (rule.until is None):
        message = "give exactly one of `count` and `until`"
        problems += [{"field": "recurrence.count", "message": message},
                     {"field": "recurrence.until", "message": message}]  # fmt: skip
    if rule.until is not None and rule.until < start:
        problems.append({"field": "recurrence.until", "message": "must not be before `start`"})
    by_weekday = rule.by_weekday
    if rule.freq == "daily" and by_weekday is not None:
        problems.append({"field": "recurrence.by_weekday", "message": "only for weekly rules"})
    if problems:
        raise errors.ValidationFailed(problems)
    return RecurrenceOut(
        freq=rule.freq,
        interval=rule.interval,
        by_weekday=sorted(set(by_weekday), key=WEEKDAYS.index) if by_weekday else None,
        count=rule.count,
        until=rule.until.astimezone(UTC) if rule.until is not None else None,
    )


def expand(
    rule: RecurrenceOut, start: datetime, end: datetime, tz: str
) -> tuple[RecurrenceOut, list[Period]]:
    """The rule as applied (a weekly rule's weekday defaults to the local one of ``start``)
    and the occurrences' UTC periods, the first at ``start``; 422 ``invalid_recurrence``
    past 366 of them, or when they would overlap each other."""
    local_tz = zone(tz)
    first = start.astimezone(local_tz).replace(tzinfo=None)
    weekdays = rule.by_weekday
    if rule.freq == "weekly" and weekdays is None:
        weekdays = [cast(Weekday, WEEKDAYS[first.weekday()])]
    if weekdays is not None and WEEKDAYS[first.weekday()] not in weekdays:
        raise errors.ValidationFailed.field(
            "recurrence.by_weekday", "must include the weekday of `start` (its first occurrence)"
        )
    rules = rrule.rrule(
        _FREQ[rule.freq],
        dtstart=first,
        interval=rule.interval,
        byweekday=[WEEKDAYS.index(d) for d in weekdays] if weekdays is not None else None,
        count=rule.count,
    )
    length = end - start
    periods: list[Period] = []
    for local in rules:
        begin = local.replace(tzinfo=local_tz).astimezone(UTC)
        if rule.until is not None and begin > rule.until:
            break
        if len(periods) == MAX_OCCURRENCES:
            raise InvalidRecurrence(f"The rule gives more than {MAX_OCCURRENCES} occurrences")
        if periods and begin < periods[-1][1]:
            raise InvalidRecurrence("Occurrences would overlap each other; shorten them")
        periods.append((begin, begin + length))
    return msgspec.structs.replace(rule, by_weekday=weekdays), periods


def total(periods: list[Period]) -> timedelta:
    return sum((e - s for s, e in periods), timedelta())
