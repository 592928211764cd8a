"""One registry: a rule added to it reaches the solver, verify and the endpoint; rules that
need a table apply once it exists."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import httpx
import pytest

from server.db import Database
from server.solver import constraints
from server.solver.constraints import Blocked, Rule
from server.sql import parse_query
from tests.server.solver.common import at, demand, violations, world

LUNCH = Rule(
    name="lunch_break",
    description="Nobody is booked 12:00-13:00 UTC.",
    check=parse_query(
        "lunch_check",
        """-- bookings overlapping a lunch hour
        SELECT b.id AS subject_id, format('booking #%s overlaps lunch', b.number) AS detail
        FROM bookings b
        WHERE b.tenant_id = :tenant_id AND app_blocking(b.status)
          AND b.period && tstzrange(:start::timestamptz, :end::timestamptz, '[)')
          AND EXISTS (
              SELECT 1 FROM generate_series(date_trunc('day', lower(b.period)), upper(b.period),
                                            interval '1 day') d
              WHERE b.period && tstzrange(d + interval '12 hours', d + interval '13 hours'))""",
    ),
    model=Blocked(
        parse_query(
            "lunch_held",
            """-- every lunch hour of the resources in the window
        SELECT r AS resource_id, d + interval '12 hours' AS start, d + interval '13 hours' AS "end",
            NULL::uuid AS id, NULL::bigint AS number, 'lunch' AS status
        FROM unnest(:resource_ids::uuid[]) AS r,
            generate_series(date_trunc('day', :start::timestamptz), :end::timestamptz,
                            interval '1 day') d
        WHERE :tenant_id::uuid IS NOT NULL""",
        )
    ),
)


async def test_a_rule_added_once_reaches_solver_verify_and_the_endpoint(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(client)
    rid = await w.resource()
    await w.book(rid, at("12:00"), at("12:30"))
    assert await violations(db, w.tenant) == []
    monkeypatch.setattr(constraints, "RULES", (*constraints.RULES, LUNCH))
    listed = await client.get("/v1/schedule/constraints", headers=w.viewer)
    assert listed.json()[-1] == {"name": "lunch_break", "description": LUNCH.description}
    assert [v.rule for v in await violations(db, w.tenant)] == ["lunch_break"]
    data = await w.solve([demand("a", "PT2H", "11:00", "16:00")])
    assert [(a["start"], a["end"]) for a in data["assignments"]] == [(at("13:00"), at("15:00"))]


async def test_time_off_and_holds_are_kept_and_verified(
    client: httpx.AsyncClient, db: Database, database_url: str
) -> None:
    """Time off and live holds (migration 0010) are held periods; verify finds a booking
    under time off planted past the server's checks."""
    w = await world(client)
    rid = await w.resource()
    booked = await w.book(rid, at("09:00"), at("10:00"))
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO time_off (tenant_id, id, resource_id, period, created_by) VALUES"
            " ($1, gen_random_uuid(), $2, tstzrange($3::timestamptz, $4::timestamptz), $5)",
            *_ids(w.tenant.id, rid), *_times("09:30", "12:00"), uuid.UUID(w.member_id),
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO holds (tenant_id, id, resource_id, holder_id, period, expires_at)"
            " VALUES ($1, gen_random_uuid(), $2, $5,"
            " tstzrange($3::timestamptz, $4::timestamptz), now() + interval '1 hour')",
            *_ids(w.tenant.id, rid), *_times("12:00", "13:00"), uuid.UUID(w.member_id),
        )  # fmt: skip
    finally:
        await conn.close()
    found = await violations(db, w.tenant)
    assert [(v.rule, str(v.subject_id)) for v in found] == [("time_off", booked["id"])]
    data = await w.solve([demand("a", "PT2H", "09:00", "17:00")])
    assert [(a["start"], a["end"]) for a in data["assignments"]] == [(at("13:00"), at("15:00"))]


def _ids(*values: str) -> list[object]:
    return [uuid.UUID(v) for v in values]


def _times(start: str, end: str) -> list[object]:
    return [datetime.fromisoformat(at(start)), datetime.fromisoformat(at(end))]
