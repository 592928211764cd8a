"""The workloads. Each runs until ``world.deadline`` (and a round/request cap) and records
every request in ``world.recorder``."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.clients import Transport, gather_bounded, request, timed
from bench.fixtures import Tenant
from bench.stats import Recorder

BASE = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday
SPREAD_HOURS = 24 * 365 * 20
HOT_BASE = datetime(2060, 1, 5, tzinfo=UTC)
MAX_ROUNDS = 100_000
MAX_IN_FLIGHT = 1000
WEEK = timedelta(days=7)


@dataclass(slots=True)
class World:
    clients: int
    duration: float
    seed: int
    urls: list[str]
    sessions: list[aiohttp.ClientSession]
    tenants: list[Tenant]
    transports: list[Transport]
    recorder: Recorder
    rate: float = 10.0
    hot_slots: int = 1
    bookings_per_resource: int = 25
    deadline: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def tenant_of(self, client: int) -> Tenant:
        return self.tenants[client % len(self.tenants)]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def period(start: datetime, hours: float = 1.0) -> dict[str, str]:
    return {"start": iso(start), "end": iso(start + timedelta(hours=hours))}


def random_booking(rng: random.Random, tenant: Tenant) -> dict[str, Any]:
    start = BASE + timedelta(hours=rng.randrange(SPREAD_HOURS))
    return {"resource_id": rng.choice(tenant.resources), **period(start)}


async def spread(world: World) -> None:
    """Every client books random hours of its tenant's resources: few conflicts."""

    async def client(index: int) -> None:
        rng = random.Random(world.seed * 7919 + index)
        tenant, transport = world.tenant_of(index), world.transports[index]
        while time.monotonic() < world.deadline:
            await timed(world.recorder, "create", transport.create(random_booking(rng, tenant)))

    await asyncio.gather(*(client(i) for i in range(world.clients)))


async def hot_tenant(world: World) -> None:
    """``spread`` on one tenant: every create takes that tenant's counter row, so the
    tenant's creates commit one after the other (its bound)."""
    await spread(world)


async def hot(world: World) -> None:
    """Rounds: every client at once asks for one of ``hot_slots`` slots; one must win each."""
    tenant = world.tenants[0]
    slots = max(1, min(world.hot_slots, len(tenant.resources)))
    for round_ in range(MAX_ROUNDS):
        if time.monotonic() >= world.deadline:
            return
        start = HOT_BASE + timedelta(hours=round_)
        bodies = [
            {"resource_id": tenant.resources[i % slots], **period(start)}
            for i in range(world.clients)
        ]
        replies = await asyncio.gather(
            *(
                timed(world.recorder, "create", world.transports[i].create(bodies[i]))
                for i in range(world.clients)
            )
        )
        for slot in range(min(slots, world.clients)):
            wins = sum(1 for i, r in enumerate(replies) if i % slots == slot and r.status == 201)
            world.recorder.races.append((f"round {round_} slot {slot}", wins))


# Operation weights of the `mixed` scenario.
MIXED = {"create": 35, "create_pending": 15, "reschedule": 20, "cancel": 15, "approve": 15}


async def mixed(world: World) -> None:
    """Create (some pending), reschedule with If-Match, cancel and approve own bookings."""
    names, weights = list(MIXED), list(MIXED.values())

    async def client(index: int) -> None:
        rng = random.Random(world.seed * 7919 + index)
        tenant, transport = world.tenant_of(index), world.transports[index]
        own: dict[str, tuple[str, int]] = {}  # id -> (status, version)

        def pick(*statuses: str) -> str | None:
            ids = [bid for bid, (status, _v) in own.items() if status in statuses]
            return rng.choice(ids) if ids else None

        def keep(reply_body: Any) -> None:
            if isinstance(reply_body, dict) and "id" in reply_body:
                own[str(reply_body["id"])] = (reply_body["status"], int(reply_body["version"]))

        while time.monotonic() < world.deadline:
            op = rng.choices(names, weights)[0]
            target = None
            if op == "reschedule" or op == "cancel":
                target = pick("pending", "confirmed")
            elif op == "approve":
                target = pick("pending")
            if target is None:
                body = random_booking(rng, tenant)
                if op == "create_pending":
                    body["status"] = "pending"
                reply = await timed(world.recorder, "create", transport.create(body))
                if reply.status == 201:
                    keep(reply.body)
                continue
            _status, version = own[target]
            if op == "reschedule":
                when = period(BASE + timedelta(hours=rng.randrange(SPREAD_HOURS)))
                reply = await timed(world.recorder, op, transport.patch(target, when, version))
            else:
                reply = await timed(world.recorder, op, transport.act(target, op))
            if reply.status in (200, 201):
                keep(reply.body)
            else:
                own.pop(target, None)  # stale in some way: forget it

    await asyncio.gather(*(client(i) for i in range(world.clients)))


async def fanout(world: World) -> None:
    """A fixed write rate (``rate`` creates per second) on the first tenant; the listeners
    are what is measured."""
    rng = random.Random(world.seed)
    tenant = world.tenants[0]
    started = time.monotonic()
    total = int(world.rate * world.duration)
    tasks: list[asyncio.Task[Any]] = []
    for k in range(total):
        delay = started + k / world.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.monotonic() >= world.deadline:
            break
        tasks = [t for t in tasks if not t.done()]
        if len(tasks) >= MAX_IN_FLIGHT:
            continue
        transport = world.transports[k % world.clients]
        call = transport.create(random_booking(rng, tenant))
        tasks.append(asyncio.create_task(timed(world.recorder, "create", call)))
    await asyncio.gather(*tasks)


async def idle(world: World) -> None:
    """No requests: the listeners just stay connected (memory per idle socket)."""
    await asyncio.sleep(max(0.0, world.deadline - time.monotonic()))


async def _fill_week(world: World) -> None:
    """``bookings_per_resource`` bookings per resource of the first tenant in the week from
    BASE, through the API; the measured clock restarts after."""
    tenant = world.tenants[0]
    per = world.bookings_per_resource
    step = WEEK / per
    bodies = [
        {"resource_id": rid, **period(BASE + k * step, hours=step.total_seconds() / 3600 / 2)}
        for rid in tenant.resources
        for k in range(per)
    ]
    seeded = time.monotonic()
    await gather_bounded(
        world.clients,
        [
            timed(world.recorder, "create", world.transports[i % world.clients].create(body))
            for i, body in enumerate(bodies)
        ],
    )
    world.extra["seed_seconds"] = round(time.monotonic() - seeded, 2)
    world.deadline = time.monotonic() + world.duration


async def _read_again(world: World, name: str, url: str, count: Callable[[Any], float]) -> None:
    """GET ``url`` one request at a time until the deadline; ``count`` of the last body
    goes in ``extra[name]``."""
    tenant = world.tenants[0]
    for _ in range(MAX_ROUNDS):
        if time.monotonic() >= world.deadline:
            break
        started = time.perf_counter()
        reply = await request(world.sessions[0], "GET", url, token=tenant.token)
        world.recorder.record(name, reply.status, time.perf_counter() - started)
        if reply.status == 200 and isinstance(reply.body, dict):
            world.extra[name + "_items"] = count(reply.body)


async def schedule(world: World) -> None:
    """Fill a week (``bookings_per_resource`` per resource of the first tenant), then read
    ``GET /v1/schedule`` for that week again and again, one request at a time."""
    await _fill_week(world)
    url = f"{world.urls[0]}/v1/schedule?from={iso(BASE)}&to={iso(BASE + WEEK)}"
    await _read_again(world, "schedule", url, lambda body: len(body["bookings"]))


async def search(world: World) -> None:
    """Fill a week as ``schedule`` does, then search it for free one-hour slots on every
    resource (step PT15M, limit 200), one request at a time."""
    await _fill_week(world)
    url = (
        f"{world.urls[0]}/v1/availability/search?from={iso(BASE)}&to={iso(BASE + WEEK)}"
        "&duration=PT1H&step=PT15M&limit=200"
    )
    await _read_again(world, "search", url, lambda body: len(body["slots"]))


SERIES_WEEKS = 52


async def series(world: World) -> None:
    """``clients`` clients each book weekly series of 52 one-hour occurrences
    (``POST /v1/series``), on their own resources and years, so none conflicts."""
    tenant = world.tenants[0]
    resources = tenant.resources

    async def client(index: int) -> None:
        for round_ in range(MAX_ROUNDS):
            if time.monotonic() >= world.deadline:
                return
            slot = round_ * world.clients + index
            resource = resources[slot % len(resources)]
            start = BASE + timedelta(days=371 * (slot // len(resources)))
            body = {
                "resource_id": resource,
                **period(start),
                "recurrence": {"freq": "weekly", "count": SERIES_WEEKS},
            }
            started = time.perf_counter()
            reply = await request(
                world.sessions[index % len(world.sessions)], "POST",
                f"{world.urls[index % len(world.urls)]}/v1/series", token=tenant.token,
                body=body,
            )  # fmt: skip
            world.recorder.record("series", reply.status, time.perf_counter() - started)
            if reply.status == 201 and isinstance(reply.body, dict):
                world.extra["series_occurrences"] = len(reply.body["bookings"])

    await asyncio.gather(*(client(i) for i in range(world.clients)))


SCENARIOS: dict[str, Callable[[World], Awaitable[None]]] = {
    "spread": spread,
    "hot-tenant": hot_tenant,
    "hot": hot,
    "mixed": mixed,
    "fanout": fanout,
    "idle": idle,
    "schedule": schedule,
    "search": search,
    "series": series,
}
