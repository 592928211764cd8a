"""ISO 8601 durations (``PT2H``, ``PT30S``, ``P1D``, ``PT1H30M``) to and from timedelta.

Only exact units are accepted: weeks, days, hours, minutes and seconds (fractions allowed
on the smallest unit given). Years and months have no fixed length, so they are refused
rather than guessed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P"
    r"(?:(?P<years>\d+(?:[.,]\d+)?)Y)?"
    r"(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)"
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?"
    r")?$"
)
_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
# Far beyond any sensible workflow clock, and well inside timedelta's range.
MAX = timedelta(days=3_650)


class DurationError(ValueError):
    """The text is not an accepted ISO 8601 duration; the message says why."""


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration; raises DurationError when malformed or not positive."""
    match = _DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT", "-P", "+P"):
        raise DurationError("expected an ISO 8601 duration such as PT2H, PT30S or P1D")
    parts = match.groupdict()
    if parts["years"] or parts["months"]:
        raise DurationError("years and months have no fixed length; use days (P30D)")
    given = [name for name in _SECONDS if parts[name] is not None]
    if not given:
        raise DurationError("expected an ISO 8601 duration such as PT2H, PT30S or P1D")
    total = Decimal(0)
    for name in given:
        value = parts[name]
        assert value is not None
        if ("." in value or "," in value) and name != given[-1]:
            raise DurationError("only the smallest unit may have a fraction")
        try:
            total += Decimal(value.replace(",", ".")) * _SECONDS[name]
        except InvalidOperation:
            raise DurationError("not a number") from None
    if parts["sign"] == "-" and total != 0:
        raise DurationError("must be positive")
    if total <= 0:
        raise DurationError("must be positive")
    if total > Decimal(MAX.total_seconds()):
        raise DurationError(f"must be at most P{MAX.days}D")
    micros = int((total * 1_000_000).to_integral_value())
    if micros <= 0:
        raise DurationError("must be positive")
    return timedelta(microseconds=micros)


def format_duration(value: timedelta) -> str:
    """The shortest canonical form: ``P1DT2H``, ``PT1H30M``, ``PT0.5S``."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    seconds, fraction = divmod(micros, 1_000_000)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    date = f"{days}D" if days else ""
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if fraction:
        time += f"{secs}.{fraction:06d}".rstrip("0") + "S"
    elif secs:
        time += f"{secs}S"
    if not date and not time:
        return "PT0S"
    return f"{sign}P{date}" + (f"T{time}" if time else "")
