"""POST /v1/schedule/solve: every rule kept, reasons, roles, validation, objectives."""

from __future__ import annotations

from datetime import datetime

import httpx

from server.config import Settings
from server.db import Database
from tests.factories import client_with, signup
from tests.server.solver.common import at, demand, violations, world


def span(assignment: dict[str, str]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(assignment["start"]), datetime.fromisoformat(assignment["end"])


async def test_assignments_keep_working_hours_bookings_and_each_other(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    rid = await w.resource(skills=["x"])
    await w.book(rid, at("09:00"), at("12:00"))
    demands = [demand(f"d{i}", "PT2H", "06:00", "20:00", skills=["x"]) for i in range(3)]
    data = await w.solve(demands)
    assert len(data["assignments"]) == 2
    assert data["unassigned"] == [{"ref": "d2", "reason": "capacity"}]
    assert data["bookings"] == []
    periods = sorted(span(a) for a in data["assignments"])
    assert periods[0][0] >= datetime.fromisoformat(at("12:00"))
    assert periods[1][1] <= datetime.fromisoformat(at("17:00"))
    assert periods[0][1] <= periods[1][0]
    # earliest: packed from 12:00
    assert sorted(a["start"] for a in data["assignments"]) == [at("12:00"), at("14:00")]
    assert data["optimal"] is True
    committed = await w.solve(demands, commit=True)
    assert len(committed["bookings"]) == 2
    assert await violations(db, w.tenant) == []


async def test_reasons(client: httpx.AsyncClient) -> None:
    w = await world(client)
    rid = await w.resource(skills=["x"])
    project = await w.project(budget_hours=1)
    data = await w.solve(
        [
            demand("skill", skills=["nobody-has-this"]),
            demand("night", start="18:00", end="22:00"),
            demand("budget", "PT2H", project_id=project),
            demand("fits", "PT7H", resource_ids=[rid]),
            demand("crowded", "PT2H", "10:00", resource_ids=[rid]),
        ]
    )
    assert data["assignments"] == [
        {"ref": "fits", "resource_id": rid, "start": at("09:00"), "end": at("16:00")}
    ]
    assert data["unassigned"] == [
        {"ref": "skill", "reason": "no_candidate"},
        {"ref": "night", "reason": "no_time"},
        {"ref": "budget", "reason": "budget"},
        {"ref": "crowded", "reason": "capacity"},
    ]


async def test_only_active_resources_with_the_skills_kind_and_ids(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    inactive = await w.resource("A inactive", skills=["x", "y"])
    gone = await client.request(
        "DELETE", f"/v1/resources/{inactive}", json={"reason": "left"}, headers=w.admin
    )
    assert gone.status_code == 200, gone.text
    room = await w.resource("B room", kind="room", skills=["x", "y"])
    person = await w.resource("C person", skills=["x"])
    data = await w.solve(
        [
            demand("xy", skills=["x", "y"]),
            demand("room", kind="room"),
            demand("listed", resource_ids=[person, inactive]),
            demand("only-inactive", resource_ids=[inactive]),
        ]
    )
    placed = {a["ref"]: a["resource_id"] for a in data["assignments"]}
    assert placed == {"xy": room, "room": room, "listed": person}
    assert data["unassigned"] == [{"ref": "only-inactive", "reason": "no_candidate"}]


async def test_budgets_are_kept_and_the_greedy_spends_them_worse(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    project = await w.project(budget_hours=5)
    first = await w.resource("A")
    await w.resource("B")
    await w.book(first, at("08:00"), at("09:00"), project_id=project)  # 1 h of 5 used
    # First fit books the 4 h demand and then has no budget for the two 2 h ones.
    data = await w.solve(
        [
            demand("long", "PT4H", project_id=project),
            demand("short1", "PT2H", project_id=project),
            demand("short2", "PT2H", project_id=project),
        ],
        commit=True,
    )
    assert data["stats"]["greedy_assigned"] == 1
    assert sorted(a["ref"] for a in data["assignments"]) == ["short1", "short2"]
    assert data["unassigned"] == [{"ref": "long", "reason": "budget"}]
    got = await client.get(f"/v1/projects/{project}", headers=w.admin)
    assert got.json()["booked_hours"] == 5
    assert await violations(db, w.tenant) == []


async def test_the_greedy_loses_a_fixed_demand_to_a_flexible_one(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    both = await w.resource("A both", skills=["x", "y"])
    only_x = await w.resource("B only x", skills=["x"])
    data = await w.solve(
        [
            demand("flexible", start="09:00", end="10:00", skills=["x"]),
            demand("fixed", start="09:00", end="10:00", skills=["y"]),
        ]
    )
    assert data["stats"]["greedy_assigned"] == 1
    placed = {a["ref"]: a["resource_id"] for a in data["assignments"]}
    assert placed == {"flexible": only_x, "fixed": both}
    assert data["optimal"] is True


async def test_balanced_spreads_hours_and_earliest_packs_early(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    busy = await w.resource("A busy")
    idle = await w.resource("B idle")
    await w.book(busy, at("09:00"), at("13:00"))
    demands = [demand("one", start="09:00", end="17:00"), demand("two", start="14:00")]
    earliest = await w.solve(demands)
    assert earliest["assignments"][0] == {
        "ref": "one", "resource_id": idle, "start": at("09:00"), "end": at("10:00")
    }  # fmt: skip
    balanced = await w.solve(demands, objective="balanced")
    assert {a["resource_id"] for a in balanced["assignments"]} == {idle}


async def test_past_the_time_limit_the_best_found_is_not_marked_optimal(
    settings: Settings,
) -> None:
    async with client_with(settings, solver_time_limit=0.01) as client:
        w = await world(client)
        for name in "ABC":
            await w.resource(name)
        demands = [demand(f"d{i}", "PT1H") for i in range(12)]
        data = await w.solve(demands)
        assert data["optimal"] is False
        assert len(data["assignments"]) == 12


async def test_roles_and_unknown_ids(client: httpx.AsyncClient) -> None:
    w = await world(client)
    rid = await w.resource()
    body = [demand("a")]
    assert (await w.solve_raw(body, headers=w.member)).status_code == 403
    assert (await w.solve_raw(body, headers=w.viewer)).status_code == 403
    anonymous = await client.post("/v1/schedule/solve", json={"demands": body})
    assert anonymous.status_code == 401
    assert (await w.solve_raw(body, headers=w.admin)).status_code == 200
    other = await signup(client)
    theirs = await client.post(
        "/v1/resources", json={"name": "X", "kind": "room"}, headers=other.headers
    )
    unknown = await w.solve_raw([demand("a", resource_ids=[rid, theirs.json()["id"]])])
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["code"] == "not_found"
    their_project = await client.post("/v1/projects", json={"name": "P"}, headers=other.headers)
    unknown = await w.solve_raw([demand("a", project_id=their_project.json()["id"])])
    assert unknown.status_code == 404
    project = await w.project()
    await client.request(
        "DELETE", f"/v1/projects/{project}", json={"reason": "done"}, headers=w.admin
    )
    inactive = await w.solve_raw([demand("a", project_id=project)])
    assert inactive.status_code == 422
    assert inactive.json()["code"] == "project_inactive"


async def test_validation(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await w.resource()

    async def fields(demands: object, **extra: object) -> list[str]:
        response = await client.post(
            "/v1/schedule/solve", json={"demands": demands, **extra}, headers=w.manager
        )
        assert response.status_code == 422, response.text
        return [e["field"] for e in response.json().get("errors", [])]

    assert await fields([]) == ["demands"]
    assert await fields([demand(f"d{i}") for i in range(501)]) == ["demands"]
    assert (await w.solve_raw([demand(f"d{i}") for i in range(500)])).status_code == 200
    assert await fields([demand("a"), demand("b"), demand("a")]) == ["demands.2.ref"]
    assert await fields([demand("a", "1 hour"), demand("b", "PT0S")]) == [
        "demands.0.duration",
        "demands.1.duration",
    ]
    assert await fields([demand("a", start="12:00", end="10:00")]) == ["demands.0.to"]
    naive = demand("a")
    naive["from"] = "2030-01-07T09:00:00"
    assert await fields([naive]) == ["demands.0.from"]
    assert await fields([demand("a")], objective="latest") == ["objective"]
    assert await fields([{**demand("a"), "colour": "red"}]) == ["demands.0"]
    assert await fields([demand("a", "P32D", end="17:00")]) == ["demands.0.duration"]
    wide = demand("a")
    wide["to"] = "2030-06-07T09:00:00Z"
    response = await w.solve_raw([wide])
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_period"


async def test_constraints_are_listed(client: httpx.AsyncClient) -> None:
    w = await world(client)
    response = await client.get("/v1/schedule/constraints", headers=w.viewer)
    assert response.status_code == 200
    rules = response.json()
    assert [r["name"] for r in rules] == [
        "no_overlap",
        "project_budget",
        "working_hours",
        "active_resource",
        "time_off",
        "holds",
    ]
    assert all(set(r) == {"name", "description"} and r["description"] for r in rules)
    assert (await client.get("/v1/schedule/constraints")).status_code == 401
