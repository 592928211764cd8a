"""A booking's statuses, and which of them block: defined once for Python.

A booking pending, confirmed or completed holds its resource for its period; rejected,
expired and cancelled ones do not. Every check that means "blocking" (the exclusion
constraint, the overlap checks, availability, the calendar, the solver) counts exactly
``BLOCKING``. SQL spells the same set once, in ``app_blocking(status)`` (migration 0011);
tests/server/bookings/test_statuses.py keeps the two, the constraint and the dashboard's
copy equal.
"""

from __future__ import annotations

from typing import Literal, get_args

BlockingStatus = Literal["pending", "confirmed", "completed"]
Status = Literal[BlockingStatus, "rejected", "expired", "cancelled"]
BLOCKING: tuple[BlockingStatus, ...] = get_args(BlockingStatus)
