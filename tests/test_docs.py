"""Numbers the docs quote are the code's: each is read from the text and compared."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import msgspec
import pytest

from realtime import gateway
from server.availability import service as availability
from server.bookings import service as bookings
from server.bookings.statuses import BLOCKING, Status
from server.config import Settings
from server.events.routes import EventsQuery
from server.idempotency import service as idempotency
from server.resources.schemas import Kind
from server.schedule import service as schedule
from server.schemas import EARLIEST, LATEST
from server.sql import SQL_DIR
from server.workflow import engine

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _limit_max(cls: type[msgspec.Struct], name: str) -> int:
    field = next(f for f in msgspec.structs.fields(cls) if f.name == name)
    return int(field.type.__metadata__[0].le)


def _idempotency_hours() -> int:
    text = (SQL_DIR / "queries" / "idempotency.sql").read_text()
    (hours,) = set(re.findall(r"interval '(\d+) hours'", text))
    return int(hours)


def _max_length(annotated: Any) -> int:
    return int(annotated.__metadata__[0].max_length)


def _default_max_booking_days() -> int:
    """The column default, as the last migration that sets it leaves it."""
    found = [
        int(n)
        for path in sorted((SQL_DIR / "migrations").glob("*.sql"))
        for n in re.findall(r"max_booking_days\s+integer NOT NULL DEFAULT (\d+)", path.read_text())
    ]
    return found[-1]


# (doc, pattern with one group, the value in the code)
QUOTED: list[tuple[str, str, Callable[[], int]]] = [
    ("bookings.md", r"judges again \(at most\s+(\d+)\s+times", lambda: bookings.CONTEXT_TRIES),
    ("bookings.md", r"\(up to ([\d,]+)\s+resources\)", lambda: bookings.CONTEXTS_AT_ONCE),
    (
        "bookings.md",
        r"`Idempotency-Key` \(1\u2013(\d+) characters",
        lambda: idempotency.MAX_KEY_LENGTH,
    ),
    ("bookings.md", r"(\d+) h answer the first response", _idempotency_hours),
    ("bookings.md", r"limit=1\.\.(\d+)", lambda: _limit_max(EventsQuery, "limit")),
    ("bookings.md", r"\(window at\s+most (\d+) days", lambda: schedule.MAX_WINDOW.days),
    ("bookings.md", r"holding more than ([\d,]+) bookings", lambda: schedule.MAX_BOOKINGS),
    ("bookings.md", r"the listed ones, at most (\d+)", lambda: schedule.MAX_RESOURCES),
    ("bookings.md", r"`kind` is free text of 1\u2013(\d+) characters", lambda: _max_length(Kind)),
    ("bookings.md", r"`max_booking_days` \(default (\d+)\)", _default_max_booking_days),
    ("bookings.md", r"outside (\d{4})-01-01 \u2026", lambda: EARLIEST.year),
    ("bookings.md", r"\u2026 (\d{4})-01-01 UTC", lambda: LATEST.year),
    (
        "bookings.md",
        r"retried with backoff for up to (\d+) s",
        lambda: int(engine.CONTENTION_PATIENCE),
    ),
    (
        "workflow.md",
        r"retried\s+with backoff for up to (\d+) s",
        lambda: int(engine.CONTENTION_PATIENCE),
    ),
    ("api.md", r"spans more than (\d+) days", lambda: availability.MAX_WINDOW.days),
    ("realtime.md", r"At most (\d+) requests in flight", lambda: gateway.MAX_IN_FLIGHT),
    ("realtime.md", r"\"idempotency_key\": \"<1\u2013(\d+)\s", lambda: idempotency.MAX_KEY_LENGTH),
    (
        "realtime.md",
        r"`BOOKING_SYNC_MAX_EVENTS` \(default (\d+)\)",
        lambda: Settings().sync_max_events,
    ),
]


@pytest.mark.parametrize(("doc", "pattern", "value"), QUOTED, ids=[q[1][:40] for q in QUOTED])
def test_a_quoted_number_is_the_codes(doc: str, pattern: str, value: Callable[[], int]) -> None:
    found = re.findall(pattern, (DOCS / doc).read_text())
    assert found, f"{doc} no longer says {pattern!r}: update this test with the text"
    assert {int(n.replace(",", "")) for n in found} == {value()}


def test_the_statuses_docs_call_blocking_are_the_codes() -> None:
    """The Statuses section names them; elsewhere a list in brackets after "block…" that
    names a status names all of them and no other."""
    text = (DOCS / "bookings.md").read_text()
    (named,) = re.findall(r"\n((?:`\w+`(?:, | and ))+`\w+`) \*\*block time\*\*", text)
    assert tuple(re.findall(r"`(\w+)`", named)) == BLOCKING
    lists = [
        (doc.name, [w for w in re.findall(r"\w+", listed) if w in get_args(Status)])
        for doc in sorted(DOCS.glob("*.md"))
        for listed in re.findall(r"\bblock[^()]{0,40}\(([^()]*?)(?:\)|:|;)", doc.read_text())
    ]
    quoted = [(doc, tuple(words)) for doc, words in lists if words]
    assert len(quoted) >= 4
    assert [q for q in quoted if q[1] != BLOCKING] == []
