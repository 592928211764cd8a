"""The fault run's helpers on synthetic data: ordering, failures, soak growth."""

from bench.mirrors import in_order_once
from bench.soak import Minute, SoakResult
from bench.stats import NO_ANSWER
from bench.writers import REFUSED, failed


def test_in_order_once_wants_every_seq_once_in_order() -> None:
    assert in_order_once([1, 2, 3], 3)
    assert in_order_once([], 0)
    assert not in_order_once([1, 3], 3)
    assert not in_order_once([2, 1, 3], 3)
    assert not in_order_once([1, 2], 3)


def test_failed_counts_5xx_and_unanswered_not_refused_connections() -> None:
    assert failed(503) and failed(500) and failed(NO_ANSWER)
    assert not failed(REFUSED)
    assert not failed(201) and not failed(409)


def _minute(index: int, rss: int) -> Minute:
    return Minute(index, 10, 0, 5.0, 2.0, {"serve-0": rss}, {"serve-0": 40}, {"serve-0": 3})


def test_soak_growth_is_measured_after_the_warm_up() -> None:
    result = SoakResult([_minute(1, 100), _minute(2, 200), _minute(3, 204)], warmup=2)
    assert result.growth() == {"serve-0": 204 / 200 - 1}
    assert result.ok
    result.minutes.append(_minute(4, 220))
    assert not result.ok
    assert not SoakResult([_minute(1, 100)], warmup=2).ok


def test_soak_growth_over_the_second_half_catches_a_leak_a_warm_up_would_hide() -> None:
    """Warming up slows down; a leak does not: 10 minutes of +1 % each stay within 5 % of
    the middle minute only if they stop."""
    steady = SoakResult([_minute(i, 100 + min(i, 5)) for i in range(1, 11)], warmup=2)
    assert steady.second_half_growth() == {"serve-0": 0.0}
    assert steady.ok
    leaking = SoakResult([_minute(i, 100 + 2 * i) for i in range(1, 11)], warmup=2)
    assert leaking.second_half_growth() == {"serve-0": 120 / 110 - 1}
    assert not leaking.ok
    assert SoakResult([_minute(1, 100), _minute(2, 100)], warmup=2).second_half_growth() == {}
