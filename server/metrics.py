"""Business metrics on ``/metrics``: one definition each, imported where they are fed.

Request counts and latency live with the HTTP middleware (``server/http/middleware.py``).
Backlogs are read by the worker at every sweep through ``app_backlogs()`` (migration
0008; another queue joins by adding a row to that function, see docs/operations.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

BOOKING_OUTCOMES = Counter(
    "booking_booking_outcomes_total",
    "Booking writes by result: the success status (201, 200) or the 409's error code",
    ["route", "outcome"],
)
SOCKETS_CONNECTED = Gauge("booking_sockets_connected", "Socket.IO connections open on this process")
# Each running Realtime adds how it counts its sockets (a process may run several: tests).
_SOCKET_COUNTS: list[Callable[[], int]] = []
SOCKETS_CONNECTED.set_function(lambda: sum(count() for count in _SOCKET_COUNTS))
RELAY_LAG = Histogram(
    "booking_relay_lag_seconds",
    "From an event's commit to its emission by the relay",
    buckets=LAG_BUCKETS,
)
TIMER_LAG = Histogram(
    "booking_timer_lag_seconds",
    "From a workflow timer's due time to its action's commit",
    buckets=LAG_BUCKETS,
)
WORKER_JOBS = Counter(
    "booking_worker_jobs_total", "Worker jobs finished, by job and result", ["job", "result"]
)


def count_sockets(count: Callable[[], int]) -> Callable[[], None]:
    """Add ``count`` to ``booking_sockets_connected``; returns what removes it."""
    _SOCKET_COUNTS.append(count)
    return lambda: _SOCKET_COUNTS.remove(count)


def record_booking_outcome(route: str, status: int, code: str | None) -> None:
    """Count a booking write's 2xx or 409; other failures are not business outcomes."""
    if 200 <= status < 300:
        BOOKING_OUTCOMES.labels(route, str(status)).inc()
    elif status == 409:
        BOOKING_OUTCOMES.labels(route, code or "conflict").inc()


class BacklogCollector(Collector):
    """``booking_backlog_items`` and ``booking_backlog_oldest_seconds`` per queue, as the
    worker last read them (every sweep); a process that never reads them exports none."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, float]] = []

    def update(self, rows: list[tuple[str, int, float]]) -> None:
        self.rows = rows

    def collect(self) -> Iterator[GaugeMetricFamily]:
        items = GaugeMetricFamily(
            "booking_backlog_items", "Messages waiting to be delivered, by queue", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "booking_backlog_oldest_seconds",
            "Age of the oldest waiting message, by queue (0 when empty)",
            labels=["queue"],
        )
        for queue, count, age in self.rows:
            items.add_metric([queue], count)
            oldest.add_metric([queue], age)
        yield items
        yield oldest


BACKLOG = BacklogCollector()
REGISTRY.register(BACKLOG)


def serve_on_port(host: str, port: int) -> None:
    """Metrics on a port of their own (a thread), for Prometheus on a private network."""
    start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
