"""IANA time zone names, validated against the system's zone database."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.errors import ValidationFailed


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_zone(name: str, field: str = "timezone") -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field(field, f"unknown IANA time zone {name!r}") from None
    return name
