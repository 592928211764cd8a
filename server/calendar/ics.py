"""Just enough RFC 5545 to publish bookings: text escaping, line folding, UTC times."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//Booking Server//Booking Calendar 1.0//EN"
UID_DOMAIN = "booking"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Event:
    id: UUID
    summary: str
    description: str
    start: datetime
    end: datetime
    status: str
    sequence: int
    stamp: datetime


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, newlines as ``\\n``."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return _CONTROL.sub("", value)


def ics_time(value: datetime) -> str:
    """A DATE-TIME in UTC form, ``YYYYMMDDTHHMMSSZ``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a character."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > MAX_OCTETS:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return CRLF.join(parts)


def ical_status(booking_status: str) -> str:
    return "TENTATIVE" if booking_status == "pending" else "CONFIRMED"


def render_calendar(name: str, events: Iterable[Event]) -> str:
    """A whole VCALENDAR with one VEVENT per event, CRLF line endings, folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.id}@{UID_DOMAIN}",
            f"DTSTAMP:{ics_time(event.stamp)}",
            f"DTSTART:{ics_time(event.start)}",
            f"DTEND:{ics_time(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += [
            f"STATUS:{ical_status(event.status)}",
            f"SEQUENCE:{event.sequence}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
