"""One registry: a rule added to it reaches the solver, verify and the endpoint; rules that
need a table apply once it exists."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import httpx
import msgspec
import pytest

from server.config import Settings
from server.db import Database
from server.solver import constraints
from server.solver.constraints import Blocked, Rule
from tests.conftest import scratch_database
from tests.factories import client_with
from tests.server.solver.common import at, demand, violations, world

LUNCH = Rule(
    name="lunch_break",
    description="Nobody is booked 12:00-13:00 UTC.",
    check="""-- bookings overlapping a lunch hour
        SELECT b.id AS subject_id, format('booking #%s overlaps lunch', b.number) AS detail
        FROM bookings b
        WHERE b.tenant_id = $1 AND b.status IN ('pending', 'confirmed', 'completed')
          AND b.period && tstzrange($2::timestamptz, $3::timestamptz, '[)')
          AND EXISTS (
              SELECT 1 FROM generate_series(date_trunc('day', lower(b.period)), upper(b.period),
                                            interval '1 day') d
              WHERE b.period && tstzrange(d + interval '12 hours', d + interval '13 hours'))""",
    model=Blocked(
        """-- every lunch hour of the resources in the window
        SELECT r AS resource_id, d + interval '12 hours' AS start, d + interval '13 hours' AS "end",
            NULL::uuid AS id, NULL::bigint AS number, 'lunch' AS status
        FROM unnest($2::uuid[]) AS r,
            generate_series(date_trunc('day', $3::timestamptz), $4::timestamptz, interval '1 day') d
        WHERE $1::uuid IS NOT NULL"""
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


TABLES = """
CREATE TABLE time_off (
    tenant_id uuid NOT NULL, id uuid NOT NULL, resource_id uuid NOT NULL,
    period tstzrange NOT NULL, reason text, created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, id));
CREATE TABLE holds (
    tenant_id uuid NOT NULL, id uuid NOT NULL, resource_id uuid NOT NULL,
    period tstzrange NOT NULL, holder_id uuid, expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, id));
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['time_off', 'holds'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING'
                       ' (tenant_id = app_current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO booking_app', t);
    END LOOP;
END $$;
"""


async def test_time_off_and_holds_apply_once_their_tables_exist(
    services: tuple[str, str], settings: Settings
) -> None:
    """The shape migration 0010 is expected to give the tables (period as tstzrange)."""
    async with scratch_database(services[0], "booking_solver") as url:
        async with client_with(settings, database_url=url) as client:
            w = await world(client)
            rid = await w.resource()
            booked = await w.book(rid, at("09:00"), at("10:00"))
            listed = await client.get("/v1/schedule/constraints", headers=w.viewer)
            assert "time_off" not in [r["name"] for r in listed.json()]
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(TABLES)
                await conn.execute(
                    "INSERT INTO time_off (tenant_id, id, resource_id, period) VALUES"
                    " ($1, gen_random_uuid(), $2, tstzrange($3::timestamptz, $4::timestamptz))",
                    *_ids(w.tenant.id, rid), *_times("09:30", "12:00"),
                )  # fmt: skip
                await conn.execute(
                    "INSERT INTO holds (tenant_id, id, resource_id, period, expires_at) VALUES"
                    " ($1, gen_random_uuid(), $2, tstzrange($3::timestamptz, $4::timestamptz),"
                    " now() + interval '1 hour')",
                    *_ids(w.tenant.id, rid), *_times("12:00", "13:00"),
                )  # fmt: skip
            finally:
                await conn.close()
            listed = await client.get("/v1/schedule/constraints", headers=w.viewer)
            assert [r["name"] for r in listed.json()][-2:] == ["time_off", "holds"]
            database = await Database.connect(
                msgspec.structs.replace(settings, database_url=url), min_size=1
            )
            try:
                found = await violations(database, w.tenant)
            finally:
                await database.close()
            assert [(v.rule, str(v.subject_id)) for v in found] == [("time_off", booked["id"])]
            data = await w.solve([demand("a", "PT2H", "09:00", "17:00")])
            assert [(a["start"], a["end"]) for a in data["assignments"]] == [
                (at("13:00"), at("15:00"))
            ]


def _ids(*values: str) -> list[object]:
    return [uuid.UUID(v) for v in values]


def _times(start: str, end: str) -> list[object]:
    return [datetime.fromisoformat(at(start)), datetime.fromisoformat(at(end))]
