"""Slot search against a brute-force reference; availability and schedule see holds and
time off."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.availability.hours import within_working_hours
from tests.server.bookings.common import at, world
from tests.server.bookings.conftest import Counter
from tests.server.scheduling.helpers import hold, time_off

HOURS = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "tue": [["18:00", "24:00"]],
         "wed": [["00:00", "24:00"]], "thu": [["09:30", "11:15"]]}  # fmt: skip


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def brute_force(
    resources: list[dict[str, Any]], busy: dict[str, list[tuple[datetime, datetime]]],
    start: datetime, end: datetime, duration: timedelta, step: timedelta, limit: int,
) -> list[tuple[datetime, str]]:  # fmt: skip
    found = []
    for r in resources:
        s = start
        while s + duration <= end:
            e = s + duration
            free = all(not (b0 < e and s < b1) for b0, b1 in busy.get(r["id"], []))
            if free and within_working_hours(r["working_hours"], r["timezone"], s, e):
                found.append((s, r["id"]))
            s += step
    return sorted(found, key=lambda x: (x[0], x[1]))[:limit]


async def test_search_matches_brute_force(client: httpx.AsyncClient) -> None:
    w = await world(client)
    rng = random.Random(7)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
    resources = []
    for i in range(6):
        r = await w.resource_with(name=f"R{i}", kind="person", timezone=zones[i % 4],
                                  skills=["a"] if i % 2 else ["a", "b"],
                                  working_hours=HOURS if i % 3 else None)  # fmt: skip
        resources.append(r)
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    base = datetime(2030, 3, 25, tzinfo=UTC)  # a week with the EU DST change at its end
    for r in resources:
        for _ in range(8):
            s = base + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 7))
            e = s + timedelta(minutes=15 * rng.randrange(1, 12))
            kind = rng.random()
            body = {"resource_id": r["id"], "start": s.isoformat(), "end": e.isoformat()}
            if kind < 0.6:
                resp = await client.post("/v1/bookings", json=body, headers=w.manager)
            elif kind < 0.8:
                resp = await client.post("/v1/holds", json=body, headers=w.manager)
            else:
                resp = await client.post(f"/v1/resources/{r['id']}/time-off",
                                         json={"start": body["start"], "end": body["end"]},
                                         headers=w.manager)  # fmt: skip
            if resp.status_code == 201:
                busy.setdefault(r["id"], []).append((s, e))
    # a cancelled booking does not block
    gone = await client.post("/v1/bookings", json={"resource_id": resources[0]["id"],
                             "start": "2030-03-20T00:00:00Z", "end": "2030-03-20T01:00:00Z"},
                             headers=w.manager)  # fmt: skip
    await client.post(f"/v1/bookings/{gone.json()['id']}/cancel", json={}, headers=w.manager)
    cases = [
        ("2030-03-25T00:00:00Z", "2030-04-01T00:00:00Z", "PT1H", "PT15M", 200, {}),
        ("2030-03-25T00:07:00Z", "2030-03-29T00:00:00Z", "PT45M", "PT20M", 200, {}),
        ("2030-03-30T20:00:00+01:00", "2030-04-01T00:00:00Z", "PT2H", "PT30M", 50,
         {"skill": "a,b"}),
        ("2030-03-25T00:00:00Z", "2030-03-28T00:00:00Z", "PT3H", "PT1H", 200,
         {"kind": "person"}),
    ]  # fmt: skip
    for frm, to, dur, step, limit, filters in cases:
        params = {"from": frm, "to": to, "duration": dur, "step": step, "limit": str(limit),
                  "resource_ids": ",".join(r["id"] for r in resources), **filters}  # fmt: skip
        got = await client.get("/v1/availability/search", params=params, headers=w.viewer)
        assert got.status_code == 200, got.text
        chosen = [r for r in resources
                  if "b" in r["skills"] or filters.get("skill") != "a,b"]  # fmt: skip
        minutes = {"PT1H": 60, "PT45M": 45, "PT2H": 120, "PT3H": 180, "PT15M": 15,
                   "PT20M": 20, "PT30M": 30}  # fmt: skip
        expected = brute_force(chosen, busy, _t(frm).astimezone(UTC), _t(to).astimezone(UTC),
                               timedelta(minutes=minutes[dur]), timedelta(minutes=minutes[step]),
                               limit)  # fmt: skip
        slots = got.json()["slots"]
        assert [(_t(s["start"]), s["resource_id"]) for s in slots] == expected, (frm, dur)
        assert all(_t(s["end"]) - _t(s["start"]) == timedelta(minutes=minutes[dur])
                   for s in slots)  # fmt: skip


async def test_search_filters_validation_and_inactive(client: httpx.AsyncClient) -> None:
    w = await world(client)
    frm, to = at("09:00"), at("12:00")
    url = "/v1/availability/search"
    base = {"from": frm, "to": to, "duration": "PT1H"}
    for params, field in (({"duration": "soon"}, "duration"), ({"step": "P1M"}, "step")):
        bad = await client.get(url, params={**base, **params}, headers=w.viewer)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field
    wide = await client.get(url, params={**base, "to": "2030-06-01T00:00:00Z"}, headers=w.viewer)
    assert wide.status_code == 422 and wide.json()["code"] == "invalid_period"
    limit = await client.get(url, params={**base, "limit": "201"}, headers=w.viewer)
    assert limit.status_code == 422
    only = {**base, "resource_ids": w.resource["id"]}
    first = await client.get(url, params={**only, "limit": "2"}, headers=w.viewer)
    assert [s["start"] for s in first.json()["slots"]] == [at("09:00"), at("09:15")]
    await client.request("DELETE", f"/v1/resources/{w.resource['id']}", json={"reason": "old"},
                         headers=w.admin)  # fmt: skip
    after = await client.get(url, params=only, headers=w.viewer)
    assert after.json()["slots"] == []
    skilled = await client.get(url, params={**base, "skill": "nobody-has-this"}, headers=w.viewer)
    assert skilled.json()["slots"] == []


async def test_search_runs_a_fixed_number_of_queries(
    client: httpx.AsyncClient, statements: Counter
) -> None:
    counts = []
    for n in (2, 12):
        w = await world(client)
        for i in range(n):
            await w.resource_with(name=f"R{i}", kind="desk")
        statements.reset()
        got = await client.get(
            "/v1/availability/search",
            headers=w.viewer,
            params={
                "from": at("09:00"),
                "to": at("18:00"),
                "duration": "PT1H",
                "kind": "desk",
                "limit": "200",
            },
        )
        assert len({s["resource_id"] for s in got.json()["slots"]}) == n  # fmt: skip
        counts.append(statements.count)
    assert counts[0] == counts[1] == 2, counts


async def test_availability_and_schedule_show_holds_and_time_off(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    b = (await w.book(at("09:00"), at("10:00"))).json()
    h = (await hold(w, at("10:00"), at("10:30"))).json()
    off = (await time_off(w, at("12:00"), at("13:00"), reason="Lunch")).json()
    got = await client.get("/v1/availability", headers=w.viewer,
                           params={"resource_id": w.resource["id"], "from": at("08:00"),
                                   "to": at("14:00")})  # fmt: skip
    body = got.json()
    assert body["busy"] == [
        {"start": b["start"], "end": b["end"], "status": "confirmed", "booking_id": b["id"]},
        {"start": h["start"], "end": h["end"], "status": "held", "hold_id": h["id"]},
        {"start": off["start"], "end": off["end"], "status": "time_off",
         "time_off_id": off["id"]},
    ]  # fmt: skip
    assert body["free"] == [{"start": at("08:00"), "end": at("09:00")},
                            {"start": at("10:30"), "end": at("12:00")},
                            {"start": at("13:00"), "end": at("14:00")}]  # fmt: skip
    schedule = await client.get("/v1/schedule", headers=w.viewer,
                                params={"from": at("00:00"), "to": at("23:00")})  # fmt: skip
    snap = schedule.json()
    assert snap["holds"] == [h] and snap["time_off"] == [off]
    assert [x["id"] for x in snap["bookings"]] == [b["id"]]
