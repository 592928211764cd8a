"""``python -m server verify`` finds violations planted past the server's checks."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from server.db import Context, Database, Tx
from server.solver.verify import check_tenant
from tests.cli import run_cli
from tests.factories import as_app
from tests.server.solver.common import at, violations, world


async def owner(database_url: str, sql: str, *args: object) -> None:
    """Run one statement as the database owner (no RLS, no checks of the server)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def test_a_clean_tenant_has_no_violations(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    rid = await w.resource()
    await w.book(rid, at("09:00"), at("10:00"))
    await w.book(rid, at("10:00"), at("11:00"))
    assert await violations(db, w.tenant) == []


async def test_overlapping_bookings_are_found(client: httpx.AsyncClient, database_url: str) -> None:
    w = await world(client)
    rid = await w.resource()
    kept = await w.book(rid, at("09:00"), at("11:00"))
    conn = await asyncpg.connect(database_url)
    try:
        # Only without the exclusion constraint can two blocking bookings overlap: drop it
        # inside a transaction that is rolled back.
        async with conn.transaction():
            tx = Tx(conn, Context(tenant_id=uuid.UUID(w.tenant.id)), state="open")
            await conn.execute("ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap")
            await conn.execute(
                "INSERT INTO bookings (tenant_id, id, number, resource_id, requester_id, period,"
                " status) SELECT tenant_id, $2, number + 1000, resource_id, requester_id,"
                " tstzrange(lower(period) + interval '1 hour', upper(period) + interval '1 hour'),"
                " 'pending' FROM bookings WHERE tenant_id = $1 AND id = $3",
                uuid.UUID(w.tenant.id),
                uuid.uuid4(),
                uuid.UUID(kept["id"]),
            )
            await as_app(conn, w.tenant.id)
            _, found = await check_tenant(tx, w.tenant.slug, start=None, end=None)
            raise _Rollback(found)
    except _Rollback as rollback:
        found = rollback.found
    finally:
        await conn.close()
    assert [v.rule for v in found] == ["no_overlap"]
    assert f"#{kept['number']} and #{kept['number'] + 1000}" in found[0].detail


class _Rollback(Exception):
    def __init__(self, found: list[object]) -> None:
        self.found = found


async def test_planted_violations_and_the_command(
    client: httpx.AsyncClient, database_url: str, db: Database
) -> None:
    w = await world(client)
    rid = await w.resource("Ann")
    project = await w.project(budget_hours=3)
    # Budget: 2 h booked, then the budget cut to 1 h behind the server's back.
    await w.book(rid, at("09:00"), at("11:00"), project_id=project)
    await owner(
        database_url, "UPDATE projects SET budget_hours = 1 WHERE id = $1", uuid.UUID(project)
    )
    # Working hours: a member's booking, then the hours moved away from it; a manager's
    # booking outside the hours is allowed and stays unreported.
    response = await client.post(
        "/v1/bookings",
        json={"resource_id": rid, "start": at("12:00"), "end": at("13:00")},
        headers=w.member,
    )
    assert response.status_code == 201, response.text
    member_booking = response.json()
    await w.book(rid, at("20:00"), at("21:00"))
    await owner(
        database_url,
        """UPDATE resources SET working_hours = '{"mon": [["14:00", "17:00"]]}' WHERE id = $1""",
        uuid.UUID(rid),
    )
    # Active resource: a booking that appears after the resource was deactivated.
    other = await w.resource("Bob")
    late = await w.book(other, at("09:00"), at("10:00", "2030-01-08"))
    await client.request("DELETE", f"/v1/resources/{other}", json={"reason": "x"}, headers=w.admin)
    await owner(
        database_url,
        "UPDATE bookings b SET created_at = r.deactivated_at + interval '1 second'"
        " FROM resources r WHERE r.tenant_id = b.tenant_id AND r.id = b.resource_id"
        " AND b.id = $1",
        uuid.UUID(late["id"]),
    )
    found = await violations(db, w.tenant)
    assert sorted((v.rule, str(v.subject_id)) for v in found) == sorted(
        [
            ("project_budget", project),
            ("working_hours", member_booking["id"]),
            ("active_resource", late["id"]),
        ]
    )

    result = await asyncio.to_thread(
        run_cli, "verify", "--tenant", w.tenant.slug, BOOKING_DATABASE_URL=database_url
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{w.tenant.slug}: ") for line in lines)
    assert any("project_budget" in line and "over its budget" in line for line in lines)
    assert "3 violations of 6 rules" in result.stderr

    # A window after everything: nothing to report.
    window = ("--from", "2030-02-01T00:00:00Z", "--to", "2030-03-01T00:00:00+01:00")
    result = await asyncio.to_thread(
        run_cli, "verify", "--tenant", w.tenant.slug, *window, BOOKING_DATABASE_URL=database_url
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    # Only the second day: the late booking on the deactivated resource.
    window = ("--from", "2030-01-08T00:00:00Z", "--to", "2030-01-09T00:00:00Z")
    result = await asyncio.to_thread(
        run_cli, "verify", "--tenant", w.tenant.slug, *window, BOOKING_DATABASE_URL=database_url
    )
    assert result.returncode == 1
    assert [line.split(": ")[1] for line in result.stdout.splitlines()] == ["active_resource"]


async def test_the_command_refuses_bad_arguments(database_url: str) -> None:
    unknown = await asyncio.to_thread(
        run_cli, "verify", "--tenant", "no-such-tenant", BOOKING_DATABASE_URL=database_url
    )
    assert unknown.returncode == 2
    assert "no tenant with slug 'no-such-tenant'" in unknown.stderr
    naive = await asyncio.to_thread(
        run_cli, "verify", "--from", "2030-01-01T00:00:00", BOOKING_DATABASE_URL=database_url
    )
    assert naive.returncode == 2
    assert "needs an offset" in naive.stderr
    backwards = await asyncio.to_thread(
        run_cli,
        "verify",
        "--from",
        "2030-01-02T00:00:00Z",
        "--to",
        "2030-01-01T00:00:00Z",
        BOOKING_DATABASE_URL=database_url,
    )
    assert backwards.returncode == 2
    assert "--to must be after --from" in backwards.stderr
