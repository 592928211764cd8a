"""Seed data: the demo tenant ``demo`` (always) and, with size ``large``, load tenants.

Each tenant gets users of every role, resources (people with working hours, rooms,
equipment), projects (some with budgets) and bookings on weekdays for a few weeks from
the start of the previous week. Seeding is idempotent and resumable: a tenant that exists
is completed, not recreated; each resource is created with its bookings in one
transaction, so a rerun continues after the last resource that was committed.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from server import errors
from server.bookings.schemas import BookingCreate
from server.bookings.service import create_booking
from server.config import Settings
from server.db import Context, Database, Tx
from server.projects.schemas import ProjectCreate
from server.projects.service import create_project
from server.resources.schemas import ResourceCreate, WorkingHours
from server.resources.service import create_resource
from server.sql import QUERIES
from server.tenants.queries import tenant_id_by_slug
from server.tenants.schemas import AdminCreate, TenantCreate
from server.tenants.service import create_tenant
from server.users.schemas import Role, UserCreate
from server.users.service import create_user

SLUG = "demo"
ROLES: tuple[Role, ...] = ("admin", "manager", "member", "viewer")
ZONE = "Europe/Berlin"
_WEEKDAYS = {day: [("08:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
# Local start and end hours of each day's bookings, and which project (by index) they
# count against (None: no project). Inside the people's working hours.
_SLOTS = ((9, 11, 0), (13, 15, None))


@dataclass(frozen=True)
class Size:
    tenants: int  # load tenants besides the demo tenant
    resources: int
    weeks: int


SIZES = {"small": Size(tenants=0, resources=6, weeks=3), "large": Size(50, 200, 13)}


@dataclass(frozen=True)
class DemoLogin:
    tenant: str
    password: str
    emails: dict[str, str]
    created: bool


@dataclass(frozen=True)
class Plan:
    """What one tenant should hold."""

    slug: str
    name: str
    resources: list[ResourceCreate]
    projects: list[ProjectCreate]
    weeks: int

    def emails(self) -> dict[str, str]:
        return {role: f"{role}@{self.slug}.test" for role in ROLES}


# Called once per resource seeded (for a progress bar).
Tick = Callable[[], None]


def demo_password(path: Path | None) -> str:
    """The demo password kept in ``path``, else a new one."""
    if path is not None and path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("password="):
                return line.removeprefix("password=")
    # Upper, lower, digits and a symbol: always passes the password policy.
    return f"Demo-{secrets.token_hex(6)}-Aa1!"


def demo_plan() -> Plan:
    hours = msgspec.convert(_WEEKDAYS, WorkingHours)
    people = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    resources = [
        ResourceCreate(
            name=name, kind="person", timezone=ZONE, skills=["engineering"], working_hours=hours
        )
        for name in people
    ]
    resources += [
        ResourceCreate(name=n, kind="room", timezone=ZONE) for n in ("Room Orion", "Room Vega")
    ]
    resources.append(ResourceCreate(name="Projector 1", kind="equipment", timezone=ZONE))
    projects = [
        ProjectCreate(name="Website relaunch", code="WEB", budget_hours=200),
        ProjectCreate(name="Internal", code="INT"),
    ]
    return Plan(SLUG, "Demo Company", resources, projects, SIZES["small"].weeks)


def load_plan(index: int, size: Size) -> Plan:
    """Load tenant ``load-NN``: ``size.resources`` resources, ten projects."""
    hours = msgspec.convert(_WEEKDAYS, WorkingHours)
    resources = []
    for number in range(1, size.resources + 1):
        kind = ("person", "person", "room", "equipment")[number % 4]
        resources.append(
            ResourceCreate(
                name=f"{kind.title()} {number:04d}",
                kind=kind,
                timezone=ZONE,
                working_hours=hours if kind == "person" else None,
            )
        )
    # Budgets no seeded week can exceed; every other project has none.
    projects = [
        ProjectCreate(
            name=f"Project {n:02d}", code=f"P{n:02d}", budget_hours=None if n % 2 else 10**6
        )
        for n in range(1, 11)
    ]
    return Plan(f"load-{index:02d}", f"Load Tenant {index:02d}", resources, projects, size.weeks)


def write_credentials(path: Path, login: DemoLogin) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"tenant={login.tenant}", f"password={login.password}"]
    lines += [f"{role}={email}" for role, email in login.emails.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def booking_days(weeks: int, today: date | None = None) -> list[date]:
    """Weekdays from the Monday of the previous week, ``weeks`` weeks long."""
    today = today or datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return [monday + timedelta(days=d) for d in range(weeks * 7) if d % 7 < 5]


async def _tenant(
    db: Database, settings: Settings, plan: Plan, password: str
) -> tuple[Context, bool]:
    """The tenant's admin context, creating the tenant first if it does not exist."""
    body = TenantCreate(
        name=plan.name,
        slug=plan.slug,
        timezone=ZONE,
        admin=AdminCreate(email=plan.emails()["admin"], name="Admin", password=password),
    )
    try:
        signup = await create_tenant(db, settings, body, request_id="seed")
        return Context(signup.tenant.id, signup.user.id, "admin", "seed"), True
    except errors.SlugTaken:
        pass
    tenant_id = await db.read(None, lambda tx: tenant_id_by_slug(tx, plan.slug))
    assert tenant_id is not None
    probe = Context(tenant_id=tenant_id, request_id="seed")
    admin = await db.read(probe, lambda tx: tx.fetchval(QUERIES["seed_first_admin"]))
    return Context(tenant_id, admin, "admin", "seed"), False


async def _base(tx: Tx, plan: Plan, password: str) -> None:
    """Users of the other roles and the projects, unless a run already made them."""
    counts = await tx.fetchrow(QUERIES["seed_counts"])
    assert counts is not None
    if counts["users"] < len(ROLES):
        emails = plan.emails()
        for role in ROLES[1:]:
            body = UserCreate(email=emails[role], name=role.title(), role=role, password=password)
            try:
                await create_user(tx, body)
            except errors.EmailTaken:
                pass
    if counts["projects"] == 0:
        for project in plan.projects:
            await create_project(tx, project)


async def _resource(tx: Tx, body: ResourceCreate, projects: list[UUID], days: list[date]) -> int:
    """One resource with its bookings; returns how many bookings it got."""
    resource = await create_resource(tx, body)
    zone = ZoneInfo(body.timezone)
    slots = _SLOTS if body.kind != "equipment" else ((10, 12, 1),)
    made = 0
    for day in days:
        for start, end, project in slots:
            booking = BookingCreate(
                resource_id=resource.id,
                start=datetime.combine(day, time(start), zone),
                end=datetime.combine(day, time(end), zone),
                project_id=projects[project % len(projects)] if project is not None else None,
                title=f"{body.name} {day.isoformat()}",
                status="confirmed",
            )
            await create_booking(tx, booking)
            made += 1
    return made


async def seed_tenant(
    db: Database, settings: Settings, plan: Plan, password: str, tick: Tick | None = None
) -> bool:
    """Create or complete one tenant; True when the tenant was new."""
    ctx, created = await _tenant(db, settings, plan, password)
    await db.run(ctx, lambda tx: _base(tx, plan, password))
    counts = await db.read(ctx, lambda tx: tx.fetchrow(QUERIES["seed_counts"]))
    assert counts is not None
    rows = await db.read(ctx, lambda tx: tx.fetch(QUERIES["seed_project_ids"]))
    project_ids: list[UUID] = [row["id"] for row in rows]
    days = booking_days(plan.weeks)
    for index, body in enumerate(plan.resources):
        if index >= counts["resources"]:
            await db.run(ctx, _resource_job(body, project_ids, days), retries=3)
        if tick is not None:
            tick()
    return created


def _resource_job(
    body: ResourceCreate, projects: list[UUID], days: list[date]
) -> Callable[[Tx], Awaitable[int]]:
    return lambda tx: _resource(tx, body, projects, days)


async def seed_demo(db: Database, settings: Settings, password: str) -> DemoLogin:
    """Create (or complete) the demo tenant; ``created`` says whether it was new."""
    plan = demo_plan()
    created = await seed_tenant(db, settings, plan, password)
    return DemoLogin(SLUG, password, plan.emails(), created=created)


async def seed_load(
    db: Database, settings: Settings, size: Size, password: str, tick: Tick, *, jobs: int = 4
) -> int:
    """The load tenants of ``size`` (``size.tenants * size.resources`` ticks), ``jobs``
    tenants at a time (tenants share no rows); returns how many were new."""
    gate = asyncio.Semaphore(jobs)

    async def one(index: int) -> bool:
        async with gate:
            return await seed_tenant(db, settings, load_plan(index, size), password, tick)

    created = await asyncio.gather(*(one(i) for i in range(1, size.tenants + 1)))
    return sum(created)
