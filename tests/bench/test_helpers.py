"""The benchmark's percentile, table and verification helpers on synthetic data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.pgbench import parse_output
from bench.report import Check, Result, operations, table
from bench.stats import NO_ANSWER, Recorder, percentile
from bench.verify import find_overlaps, missing, race_problems, sequence_problem

T0 = datetime(2030, 1, 7, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0


def test_table_shows_operations_statuses_and_checks() -> None:
    recorder = Recorder()
    for ms in (10, 20, 30):
        recorder.record("create", 201, ms / 1000)
    recorder.record("create", 409, 0.005)
    recorder.record("create", NO_ANSWER, 30.0)
    ops = operations(recorder, seconds=2.0)
    assert ops[0].count == 5 and ops[0].rps == 2.5
    assert ops[0].statuses == {"no answer": 1, "201": 3, "409": 1}
    assert recorder.errors == 1
    result = Result(
        scenario="spread", transport="http", clients=2, processes=1, seconds=2.0,
        requests=5, rps=2.5, errors=1, operations=ops,
        checks=[Check(name="seq", ok=False, detail="gap")],
    )  # fmt: skip
    text = table(result)
    assert "create" in text and "409:1" in text and "FAIL seq: gap" in text
    assert not result.ok


def test_overlaps_are_found_per_resource_only() -> None:
    rows = [
        ("a", hours(0), hours(1)),
        ("a", hours(1), hours(3)),  # touching is fine: half-open periods
        ("a", hours(2), hours(4)),  # overlaps the one before
        ("b", hours(2), hours(4)),  # another resource
        ("b", hours(5), hours(6)),
    ]
    assert find_overlaps(rows) == [("a", hours(2))]
    assert find_overlaps([]) == []


def test_sequences_must_be_exactly_one_to_head() -> None:
    assert sequence_problem("seq", 3, 1, 3, 3) == ""
    assert sequence_problem("seq", 0, None, None, 0) == ""
    assert sequence_problem("seq", 2, 1, 3, 3) != ""  # a gap
    assert sequence_problem("seq", 3, 1, 3, 4) != ""  # counter ahead of the rows
    assert sequence_problem("seq", 0, None, None, 2) != ""


def test_missing_ids_and_races() -> None:
    assert missing(["a", "b", "c"], ["c", "a"]) == ["b"]
    assert race_problems([("r0", 1), ("r1", 0), ("r2", 2)]) == ["r1 had 0", "r2 had 2"]


def test_pgbench_summary_is_parsed() -> None:
    text = "number of failed transactions: 0 (0.000%)\nlatency average = 12.345 ms\n"
    text += (
        "initial connection time = 20.1 ms\ntps = 5184.123456 (without initial connection time)\n"
    )
    assert parse_output(text) == (5184.123456, 12.345)
