"""``python -m bench solve``: the solver on a week of a busy tenant.

One tenant, ``resources`` people (Mon-Fri 09:00-17:00 UTC, 2 of ``skills`` skills each) already
booked at ``load`` of their working time (2-hour blocks at random even hours), and
``demands`` demands for that week: one skill each, 1, 2 or 4 hours within one day
(``--windows day``), or 2 or 4 hours within one half of a working day (``half``, where
capacity runs short and the first-fit greedy falls behind). Then:
``POST /v1/schedule/solve`` without commit (timed; the answer carries CP-SAT's own time and
the greedy's count), the same with ``commit: true``, and ``python -m server verify`` on
the tenant (0 violations expected).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.clients import gather_bounded, request, session
from bench.fixtures import SETUP_CONCURRENCY, SetupError, Tenant, make_tenant, run_tag

MONDAY = datetime(2031, 1, 6, tzinfo=UTC)
HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
DURATIONS = {"day": (1, 1, 2, 2, 4), "half": (2, 4, 4)}  # hours, by window


@dataclass(frozen=True, slots=True)
class SolveFigures:
    demands: int
    resources: int
    existing: int
    http_seconds: float
    solve_seconds: float
    assigned: int
    greedy_assigned: int
    optimal: bool
    reasons: dict[str, int]
    commit_seconds: float
    booked: int
    violations: int

    def table(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items())) or "none"
        return "\n".join(
            [
                f"solve: {self.demands} demands, {self.resources} resources,"
                f" {self.existing} existing bookings",
                f"  HTTP answer       {self.http_seconds:.2f} s (CP-SAT {self.solve_seconds:.2f} s,"
                f" optimal {str(self.optimal).lower()})",
                f"  assigned          {self.assigned} (first-fit greedy: {self.greedy_assigned})",
                f"  unassigned        {reasons}",
                f"  commit            {self.booked} bookings in {self.commit_seconds:.2f} s",
                f"  verify            {self.violations} violations",
            ]
        )


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def skill_names(count: int) -> list[str]:
    return [f"s{i}" for i in range(count)]


async def _people(
    http: aiohttp.ClientSession, url: str, tenant: Tenant, count: int, skills_in_all: int,
    rng: random.Random,
) -> list[str]:  # fmt: skip
    skills = [rng.sample(skill_names(skills_in_all), 2) for _ in range(count)]

    async def one(index: int) -> str:
        body = {"name": f"person {index:04d}", "kind": "person", "skills": skills[index],
                "working_hours": HOURS}  # fmt: skip
        reply = await request(http, "POST", f"{url}/v1/resources", token=tenant.token, body=body)
        if reply.status != 201:
            raise SetupError(f"create resource: HTTP {reply.status} {reply.body!r}"[:500])
        return str(reply.body["id"])

    return list(await gather_bounded(SETUP_CONCURRENCY, [one(i) for i in range(count)]))


def _existing(resources: list[str], load: float, rng: random.Random) -> list[dict[str, str]]:
    """Per resource and weekday, ``load`` of the 4 two-hour blocks of 09:00-17:00."""
    blocks = round(4 * load)
    bookings = []
    for rid in resources:
        for day in range(5):
            for block in rng.sample(range(4), blocks):
                start = MONDAY + timedelta(days=day, hours=9 + 2 * block)
                bookings.append(
                    {
                        "resource_id": rid,
                        "start": iso(start),
                        "end": iso(start + timedelta(hours=2)),
                    }
                )
    return bookings


def _demands(count: int, skills: int, windows: str, rng: random.Random) -> list[dict[str, Any]]:
    """Each within one day (``day``), or one half of a working day (``half``: tighter)."""
    demands = []
    for index in range(count):
        start = MONDAY + timedelta(days=rng.randrange(5))
        length = timedelta(days=1)
        if windows == "half":
            start += timedelta(hours=rng.choice((9, 13)))
            length = timedelta(hours=4)
        demands.append(
            {
                "ref": f"d{index:04d}",
                "duration": f"PT{rng.choice(DURATIONS[windows])}H",
                "from": iso(start),
                "to": iso(start + length),
                "skills": [rng.choice(skill_names(skills))],
                "title": f"demand {index}",
            }
        )
    return demands


async def _post_solve(
    http: aiohttp.ClientSession, url: str, tenant: Tenant, body: dict[str, Any]
) -> tuple[float, Any]:
    began = time.monotonic()
    reply = await request(http, "POST", f"{url}/v1/schedule/solve", token=tenant.token, body=body)
    seconds = time.monotonic() - began
    if reply.status != 200:
        raise SetupError(f"solve: HTTP {reply.status} {reply.body!r}"[:500])
    return seconds, reply.body


def _verify(database_url: str, slug: str) -> int:
    """Violations ``python -m server verify`` prints for the tenant."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    env["BOOKING_DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "server", "verify", "--tenant", slug],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise SetupError(f"verify failed: {done.stderr.strip()}"[:500])
    return len(done.stdout.splitlines())


async def run_solve(
    url: str, database_url: str, *, demands: int, resources: int, load: float, seed: int,
    skills: int = 10, windows: str = "day", log: Any = print,
) -> SolveFigures:  # fmt: skip
    rng = random.Random(seed)
    async with session(64) as http:
        tenant = await make_tenant(http, url, f"bench-solve-{run_tag()}")
        people = await _people(http, url, tenant, resources, skills, rng)
        existing = _existing(people, load, rng)

        async def book(body: dict[str, str]) -> None:
            reply = await request(http, "POST", f"{url}/v1/bookings", token=tenant.token, body=body)
            if reply.status != 201:
                raise SetupError(f"create booking: HTTP {reply.status} {reply.body!r}"[:500])

        await gather_bounded(SETUP_CONCURRENCY, [book(b) for b in existing])
        log(f"solve: tenant {tenant.slug}, {len(people)} resources, {len(existing)} bookings")
        body = {"demands": _demands(demands, skills, windows, rng)}
        http_seconds, answer = await _post_solve(http, url, tenant, body)
        reasons: dict[str, int] = {}
        for item in answer["unassigned"]:
            reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
        commit_seconds, committed = await _post_solve(http, url, tenant, {**body, "commit": True})
    violations = await asyncio.to_thread(_verify, database_url, tenant.slug)
    return SolveFigures(
        demands=demands,
        resources=resources,
        existing=len(existing),
        http_seconds=http_seconds,
        solve_seconds=float(answer["stats"]["solve_seconds"]),
        assigned=len(answer["assignments"]),
        greedy_assigned=int(answer["stats"]["greedy_assigned"]),
        optimal=bool(answer["optimal"]),
        reasons=reasons,
        commit_seconds=commit_seconds,
        booked=len(committed["bookings"]),
        violations=violations,
    )
