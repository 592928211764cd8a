"""``python -m bench webhooks``: commit → delivery latency of webhooks under a steady rate.

Its own stack (private PostgreSQL and Redis, one serve process, one worker) with
``BOOKING_WEBHOOK_ALLOW_PRIVATE=1``; a local aiohttp receiver that checks every
signature; one tenant with a ``*`` webhook; bookings created at ``--rate`` per second for
``--duration`` seconds. Latency is the receiver's clock at arrival minus the event's
``at`` (its transaction's start, so a little more than commit → delivery). Passes when
every event arrived once, in ``seq`` order, correctly signed, with p99 under ``--p99-ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web

from bench.clients import request, session
from bench.fixtures import add_resources, make_tenant, run_tag
from bench.stack import cpu_seconds
from bench.stats import percentile
from server.devservices import free_port

RESOURCES = 20
DRAIN_TIMEOUT = 30.0


@dataclass
class Arrivals:
    secret: str = ""
    seqs: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    bad_signatures: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, req: web.Request) -> web.Response:
        body = await req.read()
        arrived = time.time()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(req.headers.get("X-Booking-Signature", ""), expected):
            self.bad_signatures += 1
        event = json.loads(body)
        if event["type"] == "booking.created":
            self.seqs.append(int(event["seq"]))
            at = datetime.fromisoformat(event["at"]).timestamp()
            self.latencies.append(arrived - at)
            self.changed.set()
        return web.Response(status=204)


async def _receiver(arrivals: Arrivals) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", arrivals.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/hook"


async def _load(
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    resources: list[str],
    rate: float,
    seconds: float,
) -> tuple[int, Counter[int]]:
    """Bookings at ``rate`` per second, each in a free slot; returns how many were created
    and the statuses of those that were not (0: no answer)."""
    base = datetime(2031, 1, 6, 0, 0)
    total = int(rate * seconds)
    started = time.monotonic()
    tasks: list[asyncio.Task[int]] = []

    async def one(index: int) -> int:
        start = base + timedelta(hours=index // len(resources))
        body = {
            "resource_id": resources[index % len(resources)],
            "start": start.isoformat() + "Z",
            "end": (start + timedelta(minutes=30)).isoformat() + "Z",
        }
        reply = await request(http, "POST", f"{url}/v1/bookings", token=token, body=body)
        return reply.status

    for index in range(total):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    statuses = await asyncio.gather(*tasks)
    created = sum(1 for s in statuses if s == 201)
    return created, Counter(s for s in statuses if s != 201)


async def measure(
    url: str,
    *,
    rate: float,
    seconds: float,
    p99_ms: float,
    log: Callable[[str], None],
    worker_pid: int | None = None,
) -> int:
    say = log
    cpu_before = 0.0
    arrivals = Arrivals()
    runner, hook_url = await _receiver(arrivals)
    try:
        async with session(64) as http:
            tenant = await make_tenant(http, url, f"bench-hooks-{run_tag()}")
            resources = await add_resources(http, url, tenant, RESOURCES)
            reply = await request(
                http,
                "POST",
                f"{url}/v1/webhooks",
                token=tenant.token,
                body={"url": hook_url, "events": ["*"]},
            )
            if reply.status != 201:
                say(f"webhook registration failed: HTTP {reply.status} {reply.body!r}")
                return 1
            arrivals.secret = reply.body["secret"]
            cpu_before = cpu_seconds(worker_pid) if worker_pid else 0.0
            created, failed = await _load(http, url, tenant.token, resources, rate, seconds)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while len(arrivals.seqs) < created and time.monotonic() < deadline:
            arrivals.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrivals.changed.wait(), deadline - time.monotonic())
        await asyncio.sleep(0.5)  # duplicates, if any, would show now
    finally:
        await runner.cleanup()
    cpu = cpu_seconds(worker_pid) - cpu_before if worker_pid else 0.0
    in_order = arrivals.seqs == sorted(arrivals.seqs)
    unique = len(set(arrivals.seqs))
    ms = [value * 1000 for value in arrivals.latencies]
    p50, p95, p99 = (percentile(ms, q) for q in (50, 95, 99))
    say(
        f"webhooks: {created} bookings at {rate:g}/s for {seconds:g} s"
        f" (not created: {dict(failed) or 'none'});"
        f" delivered {unique}/{created}, {len(arrivals.seqs) - unique} duplicates,"
        f" in seq order: {in_order}, bad signatures: {arrivals.bad_signatures}"
    )
    say(
        f"commit→delivery ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}"
        f"  max {max(ms, default=0):.1f}  (target p99 <= {p99_ms:g})"
    )
    if worker_pid and arrivals.seqs:
        say(
            f"worker CPU: {cpu:.2f} s in all, {cpu / len(arrivals.seqs) * 1000:.2f} ms per"
            " delivered event (delivery, mail dispatch and polling included)"
        )
    ok = (
        unique == created
        and not failed
        and in_order
        and arrivals.bad_signatures == 0
        and p99 <= p99_ms
    )
    say("webhooks: ok" if ok else "webhooks: FAILED")
    return 0 if ok else 1
