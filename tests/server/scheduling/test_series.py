"""Series: RFC 5545 expansion in the resource's zone, all or nothing, every clash."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from server.db import Context, Database, Tx
from tests.server.bookings.common import World, at, world
from tests.server.scheduling.helpers import events, head, hold, overlaps, time_off


async def series(
    w: World, start: str, end: str, recurrence: dict[str, Any], *, expect: int | None = 201,
    headers: dict[str, str] | None = None, **extra: Any,
) -> httpx.Response:  # fmt: skip
    body = {"resource_id": w.resource["id"], "start": start, "end": end,
            "recurrence": recurrence, **extra}  # fmt: skip
    response = await w.client.post("/v1/series", json=body, headers=headers or w.manager)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def test_weekly_series_books_every_occurrence(client: httpx.AsyncClient) -> None:
    w = await world(client)
    seq = await head(w)
    made = (await series(w, at("09:00"), at("10:00"), {"freq": "weekly", "count": 10},
                         title="Stand-up")).json()  # fmt: skip
    assert set(made) == {"id", "resource_id", "recurrence", "bookings"}
    assert made["recurrence"] == {"freq": "weekly", "interval": 1, "by_weekday": ["mon"],
                                  "count": 10, "until": None}  # fmt: skip
    starts = [b["start"] for b in made["bookings"]]
    first = datetime.fromisoformat(at("09:00"))
    assert starts == [(first + timedelta(weeks=i)).isoformat().replace("+00:00", "Z")
                      for i in range(10)]  # fmt: skip
    assert {b["series_id"] for b in made["bookings"]} == {made["id"]}
    numbers = [b["number"] for b in made["bookings"]]
    assert numbers == list(range(numbers[0], numbers[0] + 10))
    got = await events(w, seq)
    assert [e["seq"] for e in got] == list(range(seq + 1, seq + 11))
    assert {e["type"] for e in got} == {"booking.created"}
    assert [e["data"] for e in got] == made["bookings"]
    fetched = await client.get(f"/v1/series/{made['id']}", headers=w.viewer)
    assert fetched.json() == made
    audit = await client.get(f"/v1/audit?entity_id={made['bookings'][3]['id']}", headers=w.admin)
    entry = audit.json()["items"][0]
    assert entry["action"] == "booking.created" and entry["after"] == made["bookings"][3]
    assert entry["diff"]["number"] == [None, made["bookings"][3]["number"]]
    booked = await w.book(at("09:30", "2030-01-14"), at("10:30", "2030-01-14"), expect=409)
    assert booked.json()["conflicts"][0]["id"] == made["bookings"][1]["id"]


async def test_wall_clock_kept_across_dst(client: httpx.AsyncClient) -> None:
    w = await world(client, timezone="Europe/Berlin")
    # Monday 2030-03-18 09:00 CET (+01:00); DST starts Sunday 2030-03-31.
    made = (await series(w, "2030-03-18T09:00:00+01:00", "2030-03-18T10:30:00+01:00",
                         {"freq": "weekly", "by_weekday": ["mon", "thu"],
                          "until": "2030-04-04T09:00:00+02:00"})).json()  # fmt: skip
    got = [(b["start"], b["end"]) for b in made["bookings"]]
    assert got == [
        ("2030-03-18T08:00:00Z", "2030-03-18T09:30:00Z"),
        ("2030-03-21T08:00:00Z", "2030-03-21T09:30:00Z"),
        ("2030-03-25T08:00:00Z", "2030-03-25T09:30:00Z"),
        ("2030-03-28T08:00:00Z", "2030-03-28T09:30:00Z"),
        ("2030-04-01T07:00:00Z", "2030-04-01T08:30:00Z"),
        ("2030-04-04T07:00:00Z", "2030-04-04T08:30:00Z"),  # until is inclusive
    ]


async def test_daily_interval_and_until(client: httpx.AsyncClient) -> None:
    w = await world(client)
    made = (await series(w, at("09:00"), at("10:00"),
                         {"freq": "daily", "interval": 3, "until": at("08:59", "2030-01-16")})
            ).json()  # fmt: skip
    assert [b["start"][:10] for b in made["bookings"]] == ["2030-01-07", "2030-01-10", "2030-01-13"]


async def test_rule_validation(client: httpx.AsyncClient) -> None:
    w = await world(client)
    both = await series(w, at("09:00"), at("10:00"),
                        {"freq": "daily", "count": 2, "until": at("09:00", "2030-02-01")},
                        expect=422)  # fmt: skip
    assert both.json()["code"] == "validation_error"
    assert {e["field"] for e in both.json()["errors"]} == {"recurrence.count", "recurrence.until"}
    neither = await series(w, at("09:00"), at("10:00"), {"freq": "daily"}, expect=422)
    assert neither.json()["code"] == "validation_error"
    for rule, field in (({"freq": "daily", "count": 0}, "recurrence.count"),
                        ({"freq": "daily", "count": 367}, "recurrence.count"),
                        ({"freq": "daily", "count": 2, "interval": 53}, "recurrence.interval"),
                        ({"freq": "hourly", "count": 2}, "recurrence.freq"),
                        ({"freq": "daily", "count": 2, "by_weekday": ["mon"]},
                         "recurrence.by_weekday"),
                        ({"freq": "weekly", "count": 2, "by_weekday": ["tue"]},
                         "recurrence.by_weekday")):  # fmt: skip
        bad = await series(w, at("09:00"), at("10:00"), rule, expect=422)
        assert bad.json()["code"] == "validation_error", rule
        assert field in {e["field"] for e in bad.json()["errors"]}, (rule, bad.json())
    many = await series(
        w,
        at("09:00"),
        at("10:00"),
        {"freq": "daily", "until": at("09:00", "2031-01-08")},
        expect=422,
    )
    assert many.json()["code"] == "invalid_recurrence"
    exactly = await series(w, at("09:00"), at("10:00"),
                           {"freq": "daily", "until": at("09:00", "2031-01-07")})  # fmt: skip
    assert len(exactly.json()["bookings"]) == 366
    overlapping = await series(w, at("09:00", "2032-01-05"), at("09:00", "2032-01-07"),
                               {"freq": "daily", "count": 3}, expect=422)  # fmt: skip
    assert overlapping.json()["code"] == "invalid_recurrence"


async def test_all_or_nothing_with_every_clash(client: httpx.AsyncClient) -> None:
    w = await world(client)
    b1 = (await w.book(at("09:30", "2030-01-14"), at("10:30", "2030-01-14"))).json()
    h = (await hold(w, at("08:00", "2030-01-28"), at("09:15", "2030-01-28"))).json()
    seq = await head(w)
    refused = await series(w, at("09:00"), at("10:00"), {"freq": "weekly", "count": 6},
                           expect=409)  # fmt: skip
    body = refused.json()
    assert body["code"] == "booking_conflict"
    assert [(c["id"], c["occurrence_start"], c["status"]) for c in body["conflicts"]] == [
        (b1["id"], "2030-01-14T09:00:00Z", "confirmed"),
        (h["id"], "2030-01-28T09:00:00Z", "held"),
    ]
    assert await head(w) == seq  # nothing was written
    listed = await client.get(f"/v1/bookings?resource_id={w.resource['id']}", headers=w.viewer)
    assert [b["id"] for b in listed.json()["items"]] == [b1["id"]]


async def test_time_off_budget_and_working_hours(client: httpx.AsyncClient) -> None:
    w = await world(client)
    off = (await time_off(w, at("00:00", "2030-01-21"), at("00:00", "2030-01-22"))).json()
    refused = await series(w, at("09:00"), at("10:00"), {"freq": "weekly", "count": 4},
                           expect=409)  # fmt: skip
    assert refused.json()["code"] == "resource_unavailable"
    assert refused.json()["time_off"] == [{"id": off["id"], "start": off["start"],
                                           "end": off["end"],
                                           "occurrence_start": "2030-01-21T09:00:00Z"}]  # fmt: skip
    project = await client.post("/v1/projects", json={"name": "P", "budget_hours": 5},
                                headers=w.admin)  # fmt: skip
    pid = project.json()["id"]
    over = await series(w, at("09:00", "2030-02-04"), at("10:00", "2030-02-04"),
                        {"freq": "daily", "count": 6}, project_id=pid, expect=409)  # fmt: skip
    assert over.json()["code"] == "budget_exceeded"
    assert over.json()["requested_hours"] == 6
    await series(w, at("09:00", "2030-02-04"), at("10:00", "2030-02-04"),
                 {"freq": "daily", "count": 5}, project_id=pid)  # fmt: skip
    hours = {"mon": [["08:00", "12:00"]], "tue": [["13:00", "17:00"]]}
    w2 = await world(client, working_hours=hours)
    outside = await series(w2, at("09:00"), at("10:00"), {"freq": "daily", "count": 2},
                           headers=w2.member, expect=422)  # fmt: skip
    assert outside.json()["code"] == "outside_working_hours"
    assert outside.json()["occurrence_starts"] == ["2030-01-08T09:00:00Z"]
    ok = await series(w2, at("09:00"), at("10:00"), {"freq": "weekly", "count": 2},
                      headers=w2.member)  # fmt: skip
    assert {b["status"] for b in ok.json()["bookings"]} == {"confirmed"}


async def test_cancel_from_and_roles(client: httpx.AsyncClient) -> None:
    w = await world(client)
    made = (await series(w, at("09:00"), at("10:00"), {"freq": "daily", "count": 4},
                         headers=w.member)).json()  # fmt: skip
    other = await client.post(f"/v1/series/{made['id']}/cancel", json={}, headers=w.viewer)
    assert other.status_code == 403
    cut = await client.post(f"/v1/series/{made['id']}/cancel",
                            json={"from": at("09:00", "2030-01-09"), "reason": "Moved"},
                            headers=w.member)  # fmt: skip
    assert cut.status_code == 200, cut.text
    assert [b["status"] for b in cut.json()["bookings"]] == [
        "confirmed", "confirmed", "cancelled", "cancelled"]  # fmt: skip
    assert cut.json()["bookings"][2]["series_id"] == made["id"]
    missing = await client.get(f"/v1/series/{made['bookings'][0]['id']}", headers=w.viewer)
    assert missing.status_code == 404


async def test_racing_series_never_overlap(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    # Every attempt overlaps every other: the series on each Monday, the booking 09:50-10:00
    # on the fifth Monday overlaps the fifth occurrence of every series.
    attempts = [
        series(w, at(f"09:{m:02}"), at(f"10:{m:02}"), {"freq": "weekly", "count": 8},
               expect=None)
        for m in range(0, 60, 6)
    ] + [w.book(at("09:50", "2030-02-04"), at("10:00", "2030-02-04"), expect=None)]  # fmt: skip
    responses = await asyncio.gather(*attempts)
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1, codes
    assert set(codes) == {201, 409}, codes
    assert await overlaps(db, w.tenant.id) == []


async def test_series_occurrences_get_their_workflow_timers(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    await w.settings(approval_required=True, escalate_after="PT2H", expire_after=None,
                     remind_before="PT1H", auto_complete=False)  # fmt: skip
    made = (await series(w, at("09:00"), at("10:00"), {"freq": "daily", "count": 3},
                         headers=w.member)).json()  # fmt: skip
    assert {b["status"] for b in made["bookings"]} == {"pending"}

    async def kinds(tx: Tx) -> list[Any]:
        rows = await tx.fetch(
            "SELECT booking_id, kind FROM workflow_timers WHERE tenant_id = $1"
            " AND state = 'pending' ORDER BY kind", tx.tenant_id)  # fmt: skip
        return sorted((str(r["booking_id"]), r["kind"]) for r in rows)

    got = await db.read(Context(tenant_id=UUID(w.tenant.id)), kinds)
    assert got == sorted((b["id"], k) for b in made["bookings"] for k in ("escalate", "remind"))
