from datetime import timedelta

import pytest

from server.workflow.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("PT2H", timedelta(hours=2), "PT2H"),
        ("PT30S", timedelta(seconds=30), "PT30S"),
        ("P1D", timedelta(days=1), "P1D"),
        ("PT1H30M", timedelta(hours=1, minutes=30), "PT1H30M"),
        ("PT90M", timedelta(minutes=90), "PT1H30M"),
        ("P1W", timedelta(days=7), "P7D"),
        ("P1DT2H", timedelta(days=1, hours=2), "P1DT2H"),
        ("PT0.5S", timedelta(milliseconds=500), "PT0.5S"),
        ("PT1.5H", timedelta(minutes=90), "PT1H30M"),
        ("pt24h", timedelta(hours=24), "P1D"),
    ],
)
def test_parse_and_format(text: str, expected: timedelta, canonical: str) -> None:
    assert parse_duration(text) == expected
    assert format_duration(parse_duration(text)) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PT0S", "positive"),
        ("P0D", "positive"),
        ("-PT1H", "positive"),
        ("P1M", "months"),
        ("P1Y", "months"),
        ("P", "ISO 8601"),
        ("PT", "ISO 8601"),
        ("2 hours", "ISO 8601"),
        ("PT1.5H30M", "smallest unit"),
        ("P99999D", "at most"),
    ],
)
def test_rejects(text: str, reason: str) -> None:
    with pytest.raises(DurationError, match=reason):
        parse_duration(text)
