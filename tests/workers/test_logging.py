import logging

from workers.__main__ import QuietCrons


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("arq.worker", level, __file__, 0, message, (), None)


def test_idle_sweep_lines_are_dropped_and_real_work_kept() -> None:
    quiet = QuietCrons()
    assert not quiet.filter(record("  1.00s → sweep()"))
    assert not quiet.filter(record("  0.00s ← sweep ● {'timers': 0, 'notifications': 0}"))
    assert not quiet.filter(record("recording health: Nov-22 05:35:28 j_complete=3"))
    assert quiet.filter(record("  1.06s → escalate:b:1:fire_timer('t', 'x')"))
    assert quiet.filter(record("  0.50s → maintain()"))
    assert quiet.filter(record("  1.00s → sweep()", logging.WARNING))
