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


def _vevent(event: Event, *, status: str, extra: Iterable[str] = ()) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.id}@{UID_DOMAIN}",
        f"DTSTAMP:{ics_time(event.stamp)}",
        f"DTSTART:{ics_time(event.start)}",
        f"DTEND:{ics_time(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines += [*extra, f"STATUS:{status}", f"SEQUENCE:{event.sequence}", "END:VEVENT"]
    return lines


def _document(method: str, body: list[str], name: str | None = None) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    if name is not None:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    lines += [*body, "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)


def render_calendar(name: str, events: Iterable[Event]) -> str:
    """A whole VCALENDAR with one VEVENT per event, CRLF line endings, folded."""
    body: list[str] = []
    for event in events:
        body += _vevent(event, status=ical_status(event.status))
    return _document("PUBLISH", body, name)


def render_invitation(method: str, event: Event, *, organizer: str, attendee: str) -> str:
    """An iTIP message (RFC 5546) for one booking: ``REQUEST`` puts it in the attendee's
    calendar (again, newer ``SEQUENCE`` wins), ``CANCEL`` takes it out."""
    assert method in ("REQUEST", "CANCEL")
    status = "CANCELLED" if method == "CANCEL" else ical_status(event.status)
    people = [
        f"ORGANIZER:mailto:{organizer}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{attendee}",
    ]
    return _document(method, _vevent(event, status=status, extra=people))
