import uuid
from datetime import UTC, datetime, timedelta, timezone

from server.calendar.ics import Event, escape_text, fold, render_calendar
from tests.server.calendar.ical import parse, unescape, unfold


def event(**overrides: object) -> Event:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "summary": "Standup",
        "description": "",
        "start": datetime(2026, 3, 29, 9, 0, tzinfo=timezone(timedelta(hours=2))),
        "end": datetime(2026, 3, 29, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        "status": "confirmed",
        "sequence": 3,
        "stamp": datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC),
    }
    values.update(overrides)
    return Event(**values)  # type: ignore[arg-type]


def test_escape_text() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    assert unescape(escape_text("a\\b;c,d\ne")) == "a\\b;c,d\ne"
    assert escape_text("bell\x07") == "bell"


def test_fold_limits_octets_and_keeps_characters_whole() -> None:
    line = "SUMMARY:" + "é" * 100 + "x" * 80
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert unfold(folded + "\r\n") == [line]
    assert fold("SHORT:1") == "SHORT:1"
    exact = "X:" + "a" * 73
    assert fold(exact) == exact


def test_render_calendar() -> None:
    pending = event(status="pending", summary="Review, part 1; room \\ B", sequence=1)
    done = event(status="completed", description="Bring\nthe key")
    text = render_calendar("Room 1, east", [pending, done])
    assert "\n" not in text.replace("\r\n", "")
    calendar, events = parse(text)
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["PRODID"]
    assert unescape(calendar["X-WR-CALNAME"]) == "Room 1, east"
    assert [e["UID"] for e in events] == [f"{pending.id}@booking", f"{done.id}@booking"]
    first = events[0]
    assert first["DTSTART"] == "20260329T070000Z"
    assert first["DTEND"] == "20260329T083000Z"
    assert first["DTSTAMP"] == "20260301T120005Z"
    assert first["STATUS"] == "TENTATIVE"
    assert first["SEQUENCE"] == "1"
    assert unescape(first["SUMMARY"]) == "Review, part 1; room \\ B"
    assert "DESCRIPTION" not in first
    assert events[1]["STATUS"] == "CONFIRMED"
    assert unescape(events[1]["DESCRIPTION"]) == "Bring\nthe key"


def test_empty_calendar() -> None:
    calendar, events = parse(render_calendar("Empty", []))
    assert events == []
    assert calendar["X-WR-CALNAME"] == "Empty"
