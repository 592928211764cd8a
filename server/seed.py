"""The demo tenant ``demo``: users of every role, resources and projects (demo only)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import msgspec

from server import errors
from server.config import Settings
from server.db import Context, Database, Tx
from server.projects.schemas import ProjectCreate
from server.projects.service import create_project
from server.resources.schemas import ResourceCreate, WorkingHours
from server.resources.service import create_resource
from server.tenants.schemas import AdminCreate, TenantCreate
from server.tenants.service import create_tenant
from server.users.schemas import Role, UserCreate
from server.users.service import create_user

SLUG = "demo"
ROLES: tuple[Role, ...] = ("admin", "manager", "member", "viewer")
_WEEKDAYS = {day: [("08:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class DemoLogin:
    tenant: str
    password: str
    emails: dict[str, str]
    created: bool


def demo_password(path: Path) -> str:
    """The demo password, generated once per data folder and kept beside it."""
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("password="):
                return line.removeprefix("password=")
    # Upper, lower, digits and a symbol: always passes the password policy.
    return f"Demo-{secrets.token_hex(6)}-Aa1!"


def _emails() -> dict[str, str]:
    return {role: f"{role}@demo.test" for role in ROLES}


async def _populate(tx: Tx, password: str) -> None:
    for role in ROLES[1:]:
        body = UserCreate(
            email=f"{role}@demo.test", name=role.title(), role=role, password=password
        )
        await create_user(tx, body)
    people = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    for name in people:
        await create_resource(
            tx,
            ResourceCreate(
                name=name,
                kind="person",
                timezone="Europe/Berlin",
                skills=["engineering"],
                working_hours=msgspec.convert(_WEEKDAYS, WorkingHours),
            ),
        )
    for name in ("Room Orion", "Room Vega"):
        await create_resource(tx, ResourceCreate(name=name, kind="room", timezone="Europe/Berlin"))
    await create_resource(tx, ResourceCreate(name="Projector 1", kind="equipment"))
    await create_project(tx, ProjectCreate(name="Website relaunch", code="WEB", budget_hours=200))
    await create_project(tx, ProjectCreate(name="Internal", code="INT"))


def write_credentials(path: Path, login: DemoLogin) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"tenant={login.tenant}", f"password={login.password}"]
    lines += [f"{role}={email}" for role, email in login.emails.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


async def seed_demo(db: Database, settings: Settings, password: str) -> DemoLogin:
    """Create the demo tenant unless it exists (``created`` says which)."""
    emails = _emails()
    body = TenantCreate(
        name="Demo Company",
        slug=SLUG,
        timezone="Europe/Berlin",
        admin=AdminCreate(email=emails["admin"], name="Admin", password=password),
    )
    try:
        signup = await create_tenant(db, settings, body, request_id="seed")
    except errors.SlugTaken:
        return DemoLogin(SLUG, password, emails, created=False)
    ctx = Context(
        tenant_id=signup.tenant.id, user_id=signup.user.id, role="admin", request_id="seed"
    )
    await db.run(ctx, lambda tx: _populate(tx, password))
    return DemoLogin(SLUG, password, emails, created=True)
