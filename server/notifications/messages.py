"""Lifecycle mail from the template files next to this module (``string.Template``).

``<kind>.txt`` holds a ``Subject:`` line and the opening sentence; ``layout.txt`` and
``layout.html`` wrap it with the booking's details (HTML-escaped in the HTML part).
Mail to the requester carries the booking as an iCalendar invitation: ``REQUEST`` while
it holds time, ``CANCEL`` once it does not.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from server.calendar.ics import Event, render_invitation

FOLDER = Path(__file__).resolve().parent / "templates"
CANCELLING = frozenset({"booking.rejected", "booking.cancelled", "booking.expired"})


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    ics: str | None
    ics_method: str | None


@dataclass(frozen=True, slots=True)
class Names:
    """Who and what a booking's mail mentions, read once per message."""

    tenant: str
    timezone: str
    resource: str
    requester: str
    requester_email: str
    actor: str | None


@cache
def _template(name: str) -> Template:
    return Template((FOLDER / name).read_text())


def _when(value: datetime, zone: str) -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} ({zone})"


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def render(kind: str, booking: dict[str, Any], names: Names, *, to_requester: bool) -> Rendered:
    """The message of ``kind`` about ``booking`` (its JSON form); an invitation when it
    goes to the requester."""
    start, end = _time(booking["start"]), _time(booking["end"])
    reason = booking.get("status_reason") or ""
    values = {
        "number": str(booking["number"]),
        "title": booking.get("title") or "(no title)",
        "resource": names.resource,
        "start": _when(start, names.timezone),
        "end": _when(end, names.timezone),
        "created": _when(_time(booking["created_at"]), names.timezone),
        "status": booking["status"],
        "requester": names.requester,
        "actor": names.actor or "The system",
        "booking_id": str(booking["id"]),
        "tenant": names.tenant,
    }
    head, _, intro = _template(f"{kind}.txt").substitute(values).partition("\n")
    subject = head.removeprefix("Subject:").strip()
    intro = intro.strip()
    text = _template("layout.txt").substitute(
        values, intro=intro, reason_line=f"Reason:   {reason}" if reason else ""
    )
    escaped = {key: html.escape(value) for key, value in values.items()}
    reason_row = (
        f'<tr><th align="left">Reason</th><td>{html.escape(reason)}</td></tr>' if reason else ""
    )
    body = _template("layout.html").substitute(
        escaped, subject=html.escape(subject), intro=html.escape(intro), reason_row=reason_row
    )
    ics, method = None, None
    if to_requester:
        method = "CANCEL" if kind in CANCELLING else "REQUEST"
        event = Event(
            id=UUID(str(booking["id"])),
            summary=booking.get("title") or f"Booking #{booking['number']}",
            description=f"{names.resource}\n{booking.get('note') or ''}".strip(),
            start=start,
            end=end,
            status=booking["status"],
            sequence=int(booking["version"]),
            stamp=_time(booking["updated_at"]),
        )
        ics = render_invitation(
            method, event, organizer=names.requester_email, attendee=names.requester_email
        )
    return Rendered(subject=subject, text=text, html=body, ics=ics, ics_method=method)
