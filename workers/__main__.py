"""``python -m workers``: the arq worker under a supervisor that outlives Redis outages.

arq's worker returns as soon as its Redis connection drops. This loop runs it, and when
it stops on a connection error starts a fresh one after a backoff (0.5 s doubling to
10 s); the database pool is kept across restarts. SIGTERM or SIGINT stops it gracefully:
no new jobs are taken, running ones get a grace period, the heartbeat key is removed.
Alongside, free heap memory goes back to the system once a minute (``workers.memory``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from arq.worker import Worker, create_worker
from redis.exceptions import RedisError

from server import migrations
from server.config import ConfigError, Settings, load_settings
from server.logs import configure as configure_logging
from server.metrics import serve_on_port
from workers import memory
from workers import settings as worker_settings

log = logging.getLogger("workers")

FIRST_BACKOFF = 0.5
LONGEST_BACKOFF = 10.0
CLOSE_TIMEOUT = 5.0


async def _close(worker: Worker) -> None:
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(worker.close(), CLOSE_TIMEOUT)


async def supervise(settings: Settings) -> None:
    """Run workers until a signal asks to stop; restart one that lost Redis."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: list[Worker] = []

    def on_signal(signum: signal.Signals) -> None:
        stopping.set()
        if current:
            current[0].handle_sig_wait_for_completion(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)

    db = await migrations.open_database(settings, min_size=1)
    trim = memory.malloc_trimmer()
    trimming = (
        loop.create_task(memory.trim_heap_every(memory.TRIM_SECONDS, trim), name="malloc-trim")
        if trim is not None
        else None
    )
    backoff = FIRST_BACKOFF
    try:
        while not stopping.is_set():
            worker = create_worker(worker_settings.build(settings, db=db), handle_signals=False)
            current[:] = [worker]
            worker.main_task = loop.create_task(worker.main())
            try:
                await worker.main_task
                backoff = FIRST_BACKOFF
            except asyncio.CancelledError:
                if not stopping.is_set():
                    raise
            except (RedisError, OSError) as exc:
                log.warning("worker lost Redis (%s); restarting in %.1f s", exc, backoff)
            except Exception:
                log.exception("worker stopped unexpectedly; restarting in %.1f s", backoff)
            finally:
                current.clear()
                await _close(worker)
            if not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), backoff)
                backoff = min(backoff * 2, LONGEST_BACKOFF)
    finally:
        if trimming is not None:
            trimming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trimming
        await db.close()
    log.info("worker stopped")


class QuietCrons(logging.Filter):
    """Drop arq's per-run lines of the every-few-seconds sweep and its health beat; the
    sweep logs itself when it did something, so only idle noise goes."""

    NOISE = ("→ sweep()", "← sweep ●", "recording health")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(part in message for part in self.NOISE)


def main() -> None:
    try:
        settings = load_settings(os.environ)
        configure_logging(settings.log_level, settings.log_format)
        if settings.log_level != "debug":
            logging.getLogger("arq.worker").addFilter(QuietCrons())
        settings.require_database_url()
        settings.require_redis_url()
        if settings.metrics_port is not None:
            serve_on_port(settings.metrics_host, settings.metrics_port)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(supervise(settings))


if __name__ == "__main__":
    main()
