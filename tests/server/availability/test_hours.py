from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.availability.hours import (
    merge,
    parse_clock,
    subtract,
    within_working_hours,
    working_intervals,
)

BERLIN = "Europe/Berlin"
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_spring_forward_day_keeps_eight_working_hours() -> None:
    hours = {"sun": [["09:00", "17:00"]]}
    # 2026-03-29: clocks go 02:00 CET -> 03:00 CEST; the working day is at +02:00.
    got = working_intervals(hours, BERLIN, utc("2026-03-28T00:00Z"), utc("2026-03-31T00:00Z"))
    assert got == [(utc("2026-03-29T07:00Z"), utc("2026-03-29T15:00Z"))]
    before = working_intervals(
        {"sat": [["09:00", "17:00"]]}, BERLIN, utc("2026-03-28T00:00Z"), utc("2026-03-29T00:00Z")
    )
    assert before == [(utc("2026-03-28T08:00Z"), utc("2026-03-28T16:00Z"))]


def test_fall_back_day_keeps_eight_working_hours() -> None:
    hours = {"sun": [["09:00", "17:00"]]}
    got = working_intervals(hours, BERLIN, utc("2026-10-24T00:00Z"), utc("2026-10-27T00:00Z"))
    assert got == [(utc("2026-10-25T08:00Z"), utc("2026-10-25T16:00Z"))]


@pytest.mark.parametrize(("day", "length"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_whole_day_template_follows_the_real_day_length(day: str, length: int) -> None:
    hours = {"sun": [["00:00", "24:00"]]}
    start = utc(f"{day}T00:00Z") - timedelta(days=2)
    got = working_intervals(hours, BERLIN, start, start + timedelta(days=4))
    assert len(got) == 1
    assert got[0][1] - got[0][0] == timedelta(hours=length)
    assert got[0][0] == datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=ZoneInfo(BERLIN))


def test_no_template_is_always_available_and_window_is_clipped() -> None:
    start, end = utc("2026-01-01T10:00Z"), utc("2026-01-01T12:00Z")
    assert working_intervals(None, BERLIN, start, end) == [(start, end)]
    clipped = working_intervals(
        NINE_TO_FIVE, BERLIN, utc("2026-01-05T10:30+01:00"), utc("2026-01-05T20:00+01:00")
    )
    assert clipped == [(utc("2026-01-05T09:30Z"), utc("2026-01-05T16:00Z"))]


def test_overnight_pairs_and_touching_days_merge() -> None:
    hours = {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]], "wed": [["22:00", "02:00"]]}
    got = working_intervals(hours, "UTC", utc("2026-01-05T00:00Z"), utc("2026-01-09T00:00Z"))
    assert got == [
        (utc("2026-01-05T22:00Z"), utc("2026-01-06T06:00Z")),
        (utc("2026-01-07T22:00Z"), utc("2026-01-08T02:00Z")),
    ]


def test_subtract_handles_back_to_back_and_spanning_bookings() -> None:
    t = [utc(f"2026-01-05T{h:02d}:00Z") for h in range(24)]
    free = [(t[9], t[12]), (t[13], t[17])]
    busy = [(t[9], t[10]), (t[10], t[11]), (t[11] + timedelta(minutes=30), t[14]), (t[16], t[20])]
    assert subtract(free, busy) == [(t[11], t[11] + timedelta(minutes=30)), (t[14], t[16])]
    assert subtract(free, []) == free
    assert subtract([], busy) == []


def test_merge_joins_overlapping_and_touching() -> None:
    t = [utc(f"2026-01-05T{h:02d}:00Z") for h in range(6)]
    assert merge([(t[3], t[4]), (t[0], t[2]), (t[1], t[3])]) == [(t[0], t[4])]
    assert merge([(t[0], t[1]), (t[2], t[3])]) == [(t[0], t[1]), (t[2], t[3])]


def test_within_working_hours() -> None:
    monday = "2026-01-05"
    assert within_working_hours(
        NINE_TO_FIVE, BERLIN, utc(f"{monday}T09:00+01:00"), utc(f"{monday}T17:00+01:00")
    )
    assert not within_working_hours(
        NINE_TO_FIVE, BERLIN, utc(f"{monday}T08:59+01:00"), utc(f"{monday}T10:00+01:00")
    )
    assert not within_working_hours(
        NINE_TO_FIVE, BERLIN, utc(f"{monday}T16:00+01:00"), utc("2026-01-06T10:00+01:00")
    )
    split = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}
    assert not within_working_hours(
        split, BERLIN, utc(f"{monday}T11:00+01:00"), utc(f"{monday}T14:00+01:00")
    )
    # The same wall-clock hours in summer sit at +02:00.
    assert within_working_hours(
        NINE_TO_FIVE, BERLIN, utc("2026-07-06T07:00Z"), utc("2026-07-06T15:00Z")
    )
    assert not within_working_hours(
        NINE_TO_FIVE, BERLIN, utc("2026-07-06T08:00Z"), utc("2026-07-06T16:00Z")
    )
    assert within_working_hours(None, BERLIN, utc("2026-01-04T03:00Z"), utc("2026-01-04T04:00Z"))
    assert not within_working_hours({}, BERLIN, utc(f"{monday}T10:00Z"), utc(f"{monday}T11:00Z"))
    assert not within_working_hours(None, BERLIN, utc(f"{monday}T11:00Z"), utc(f"{monday}T11:00Z"))


@pytest.mark.parametrize("bad", ["9:00", "24:01", "12:60", "noon", "1200"])
def test_parse_clock_rejects_bad_times(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_clock(bad)
    assert parse_clock("24:00") == (24, 0)
