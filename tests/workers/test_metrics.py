"""The worker's metrics on their own port: timer lag, job results, delivery backlogs."""

from __future__ import annotations

import re

import httpx

from tests.cli import free_port
from tests.server.bookings.common import world
from tests.workers.conftest import SWEEP_SECONDS, StartWorker
from tests.workers.harness import eventually
from tests.workers.test_timers import book_pending


def value(text: str, line: str) -> float:
    match = re.search(rf"^{re.escape(line)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_worker_exports_timer_lag_job_results_and_backlog(
    start_worker: StartWorker, worker_client: httpx.AsyncClient
) -> None:
    port = free_port()
    await start_worker(BOOKING_METRICS_PORT=str(port))
    w = await world(worker_client)
    await w.settings(approval_required=True, escalate_after="PT1S")
    await book_pending(w)

    async def scraped() -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/metrics")).text

    async def complete() -> bool:
        text = await scraped()
        return (
            value(text, "booking_timer_lag_seconds_count") >= 1
            and 'booking_backlog_items{queue="notifications"}' in text
        )

    # Escalation is due 1 s after the booking; then a sweep reads the backlogs.
    assert await eventually(complete, within=1 + 2 * SWEEP_SECONDS + 5), await scraped()
    text = await scraped()
    assert value(text, 'booking_worker_jobs_total{job="sweep",result="ok"}') >= 1
    # The deferred job applied the timer ("escalate") or found the sweeper had ("skipped").
    assert 'booking_worker_jobs_total{job="fire_timer",result=' in text
    assert value(text, 'booking_backlog_oldest_seconds{queue="notifications"}') >= 0
