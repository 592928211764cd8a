from collections.abc import AsyncIterator

import asyncpg
import httpx
import msgspec
import pytest

from server.cli import Bar
from server.config import Settings
from server.db import Database
from server.seed import (
    Plan,
    Size,
    booking_days,
    demo_plan,
    load_plan,
    seed_demo,
    seed_load,
    seed_tenant,
)
from tests.cli import run_cli
from tests.conftest import scratch_database


async def test_demo_seed_is_idempotent_and_logs_in(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    db = await Database.connect(settings, min_size=1)
    try:
        first = await seed_demo(db, settings, "Demo-Password-1!")
        again = await seed_demo(db, settings, "Demo-Password-1!")
    finally:
        await db.close()
    assert first.created and not again.created
    for role, email in first.emails.items():
        response = await client.post(
            "/v1/auth/login",
            json={"tenant": "demo", "email": email, "password": "Demo-Password-1!"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["user"]["role"] == role
    token = response.json()["access_token"]
    resources = await client.get("/v1/resources", headers={"Authorization": f"Bearer {token}"})
    assert len(resources.json()["items"]) == 6


@pytest.fixture
async def scratch(services: tuple[str, str], settings: Settings) -> AsyncIterator[Settings]:
    """Settings pointing at a fresh migrated database of this test's own."""
    async with scratch_database(services[0], "booking_seed") as url:
        yield msgspec.structs.replace(settings, database_url=url)


async def counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM tenants) AS tenants,"
            " (SELECT count(*) FROM users) AS users,"
            " (SELECT count(*) FROM resources) AS resources,"
            " (SELECT count(*) FROM projects) AS projects,"
            " (SELECT count(*) FROM bookings) AS bookings,"
            " (SELECT count(*) FROM projects WHERE budget_hours IS NOT NULL) AS budgets,"
            " (SELECT count(*) FROM resources WHERE working_hours IS NOT NULL) AS with_hours"
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


def expected_bookings(plan: Plan) -> int:
    days = len(booking_days(plan.weeks))
    return sum(days * (1 if r.kind == "equipment" else 2) for r in plan.resources)


async def test_demo_tenant_has_hours_budgets_and_weeks_of_bookings(scratch: Settings) -> None:
    db = await Database.connect(scratch, min_size=1)
    try:
        login = await seed_demo(db, scratch, "Demo-Password-1!")
    finally:
        await db.close()
    assert login.created
    found = await counts(scratch.require_database_url())
    plan = demo_plan()
    assert found["tenants"] == 1 and found["users"] == 4
    assert found["resources"] == 6 and found["with_hours"] == 3
    assert found["projects"] == 2 and found["budgets"] == 1
    assert found["bookings"] == expected_bookings(plan) == 3 * 5 * (5 * 2 + 1)


async def test_a_partly_seeded_tenant_is_completed_without_duplicates(scratch: Settings) -> None:
    plan = demo_plan()
    db = await Database.connect(scratch, min_size=1)
    try:
        partial = Plan(plan.slug, plan.name, plan.resources[:2], plan.projects, plan.weeks)
        assert await seed_tenant(db, scratch, partial, "Demo-Password-1!")
        assert not await seed_tenant(db, scratch, plan, "Demo-Password-1!")
        assert not await seed_tenant(db, scratch, plan, "Demo-Password-1!")
    finally:
        await db.close()
    found = await counts(scratch.require_database_url())
    assert found["resources"] == 6 and found["users"] == 4 and found["projects"] == 2
    assert found["bookings"] == expected_bookings(plan)


async def test_load_tenants_are_idempotent(scratch: Settings) -> None:
    size = Size(tenants=2, resources=4, weeks=1)
    ticks: list[int] = []
    db = await Database.connect(scratch, min_size=1)
    try:
        assert await seed_load(db, scratch, size, "Load-Password-1!", lambda: ticks.append(1)) == 2
        first = await counts(scratch.require_database_url())
        assert await seed_load(db, scratch, size, "Load-Password-1!", lambda: ticks.append(1)) == 0
    finally:
        await db.close()
    assert len(ticks) == 2 * size.tenants * size.resources
    assert await counts(scratch.require_database_url()) == first
    assert first["tenants"] == 2 and first["resources"] == 8
    assert first["bookings"] == 2 * expected_bookings(load_plan(1, size))


def test_seed_command_prints_logins_then_finds_the_tenant(scratch: Settings) -> None:
    env = {
        "BOOKING_DATABASE_URL": scratch.require_database_url(),
        "BOOKING_JWT_SECRET": scratch.require_jwt_secret(),
    }
    first = run_cli("seed", BOOKING_DEMO_PASSWORD="Seeded-Pass-1!", **env)
    assert first.returncode == 0, first.stderr
    assert "demo tenant 'demo' created" in first.stdout
    assert "password Seeded-Pass-1!" in first.stdout
    assert "admin@demo.test" in first.stdout
    again = run_cli("seed", **env)
    assert again.returncode == 0, again.stderr
    assert "demo tenant 'demo' already present" in again.stdout


def test_progress_without_a_terminal_is_a_line_per_tenth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = Bar(20, "resources")
    for _ in range(20):
        bar.tick()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "resources: 2/20" and lines[-1] == "resources: 20/20"
    assert len(lines) == 10


def test_seed_command_large_with_a_smaller_shape(scratch: Settings) -> None:
    env = {
        "BOOKING_DATABASE_URL": scratch.require_database_url(),
        "BOOKING_JWT_SECRET": scratch.require_jwt_secret(),
        "BOOKING_DEMO_PASSWORD": "Seeded-Pass-1!",
    }
    args = ("seed", "--size", "large", "--tenants", "1", "--resources", "2", "--weeks", "1")
    done = run_cli(*args, **env)
    assert done.returncode == 0, done.stderr
    assert "load tenants' resources: 2/2" in done.stderr
    assert "1 load tenants load-01..load-01" in done.stdout
    assert run_cli("seed", "--resources", "0", **env).returncode == 2
