"""A short ``python -m bench chaos``: every fault in turn under load, every guarantee
checked after each (see docs/reliability.md for the full run and its figures)."""

import gc
from pathlib import Path

import pytest

from bench.chaos import FAULTS, ChaosPlan, chaos
from bench.faultchecks import describe

pytestmark = pytest.mark.slow

# Shorter than the full run (Redis down 2 s, then frozen 2 s); the same checks and bounds.
QUICK = ChaosPlan(faults=FAULTS, warm=1.5, outage=2.0, settle=2.0)


def test_every_fault_in_turn_keeps_the_guarantees(tmp_path: Path) -> None:
    lines: list[str] = []
    phases = chaos(QUICK, tmp_path, lines.append)
    # Anything the run left unclosed warns here, in this test, not in a later one.
    gc.collect()
    assert [p.fault for p in phases] == list(FAULTS)
    report = "\n".join(describe(p.fault, p.figures, p.checks) for p in phases)
    assert all(p.ok for p in phases), report
    # The faults really happened: a killed process was started again each time.
    restarted = {name for p in phases for name in p.figures if name.endswith("_ready_s")}
    assert restarted >= {"worker_ready_s"}, report
