import httpx

from tests.factories import signup
from tests.server.bookings.common import at, world

SHAPE = {
    "id", "number", "resource_id", "project_id", "requester_id", "title", "note", "start",
    "end", "status", "status_reason", "series_id", "version", "created_at", "updated_at",
    "escalated_at",
}  # fmt: skip


async def test_shape_numbers_and_utc(client: httpx.AsyncClient) -> None:
    w = await world(client)
    first = await w.book("2030-01-07T10:00:00+01:00", "2030-01-07T11:00:00+01:00", title="Sync")
    data = first.json()
    assert set(data) == SHAPE
    assert data["start"] == "2030-01-07T09:00:00Z"
    assert data["end"] == "2030-01-07T10:00:00Z"
    assert data["status"] == "confirmed"
    assert data["version"] == 1
    assert data["number"] == 1
    assert data["title"] == "Sync"
    assert data["note"] == ""
    assert data["escalated_at"] is None
    second = await w.book(at("10:00"), at("11:00"))  # touching, half-open
    assert second.json()["number"] == 2
    got = await client.get(f"/v1/bookings/{data['id']}", headers=w.viewer)
    assert got.json() == data
    other = await world(client)
    assert (await other.book(at("10:00"), at("11:00"))).json()["number"] == 1


async def test_default_status_rules(client: httpx.AsyncClient) -> None:
    w = await world(client)
    assert (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()["status"] == (
        "confirmed"
    )
    await w.settings(approval_required=True)
    pending = await w.book(at("09:00"), at("10:00"), headers=w.member)
    assert pending.json()["status"] == "pending"
    assert pending.json()["requester_id"] == w.member_id
    denied = await w.book(
        at("10:00"), at("11:00"), headers=w.member, status="confirmed", expect=403
    )
    assert denied.json()["code"] == "forbidden"
    managed = await w.book(at("10:00"), at("11:00"), headers=w.manager)
    assert managed.json()["status"] == "confirmed"
    asked = await w.book(at("11:00"), at("12:00"), headers=w.manager, status="pending")
    assert asked.json()["status"] == "pending"
    viewer = await w.book(at("12:00"), at("13:00"), headers=w.viewer, expect=403)
    assert viewer.json()["code"] == "forbidden"


async def test_invalid_periods(client: httpx.AsyncClient) -> None:
    w = await world(client)
    same = await w.book(at("10:00"), at("10:00"), expect=422)
    assert same.json()["code"] == "invalid_period"
    backwards = await w.book(at("11:00"), at("10:00"), expect=422)
    assert backwards.json()["code"] == "invalid_period"
    too_long = await w.book(at("10:00"), at("10:00", "2030-02-08"), expect=422)
    assert too_long.json()["code"] == "invalid_period"
    await w.book(at("10:00"), at("10:00", "2030-02-07"))  # exactly 31 days
    await w.settings(max_booking_days=2)
    limited = await w.book(at("10:00", "2030-03-01"), at("10:01", "2030-03-03"), expect=422)
    assert limited.json()["code"] == "invalid_period"
    naive = await w.book("2030-01-07T10:00:00", "2030-01-07T11:00:00", expect=422)
    assert naive.json()["code"] == "validation_error"
    fields = {e["field"] for e in naive.json()["errors"]}
    assert fields == {"start", "end"}


async def test_times_without_a_utc_equivalent_are_422(client: httpx.AsyncClient) -> None:
    # Valid RFC 3339, but in UTC they fall outside years 1-9999: 422, never a 500.
    w = await world(client)
    late, early = "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"
    both = await w.book(late, early, expect=422)
    assert {e["field"] for e in both.json()["errors"]} == {"start", "end"}
    booking = (await w.book(at("10:00"), at("11:00"))).json()
    edit = await client.patch(f"/v1/bookings/{booking['id']}", json={"end": late}, headers=w.admin)
    assert edit.status_code == 422, edit.text
    assert edit.json()["errors"][0]["field"] == "end"
    reads = [
        ("/v1/bookings", {"from": late}),
        ("/v1/schedule", {"from": early, "to": late}),
        ("/v1/availability", {"resource_id": w.resource["id"], "from": early, "to": at("10:00")}),
        (f"/v1/resources/{w.resource['id']}/calendar.ics", {"to": late}),
        ("/v1/audit", {"from": early}),
    ]
    for path, params in reads:
        response = await client.get(path, params=params, headers=w.admin)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["code"] == "validation_error"


async def test_booking_times_lie_between_1900_and_9000(client: httpx.AsyncClient) -> None:
    w = await world(client, timezone="Pacific/Kiritimati")
    await w.settings(remind_before="P3650D")  # a reminder ten years before the start
    for start, end in (
        ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
        ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"),
    ):
        for headers in (w.member, w.manager):
            response = await w.book(start, end, headers=headers, expect=422)
            assert {e["field"] for e in response.json()["errors"]} == {"start", "end"}
    await w.book("1900-01-01T00:00:00Z", "1900-01-01T01:00:00Z")
    await w.book("8999-12-31T23:00:00Z", "9000-01-01T00:00:00Z", headers=w.member)


async def test_conflict_lists_conflicts(client: httpx.AsyncClient) -> None:
    w = await world(client)
    a = (await w.book(at("10:00"), at("11:00"))).json()
    b = (await w.book(at("11:00"), at("12:00"), headers=w.member)).json()
    conflict = await w.book(at("10:30"), at("11:30"), expect=409)
    body = conflict.json()
    assert body["code"] == "booking_conflict"
    assert conflict.headers["content-type"] == "application/problem+json"
    assert body["conflicts"] == [
        {"id": x["id"], "number": x["number"], "start": x["start"], "end": x["end"],
         "status": x["status"]}
        for x in (a, b)
    ]  # fmt: skip
    cancelled = await client.post(f"/v1/bookings/{a['id']}/cancel", headers=w.manager)
    assert cancelled.status_code == 200
    await w.book(at("10:00"), at("11:00"))  # cancelled bookings do not block
    listing = await client.get("/v1/bookings", headers=w.viewer)
    numbers = sorted(x["number"] for x in listing.json()["items"])
    assert numbers == [1, 2, 3]  # a refused create rolls its number back with it


async def test_inactive_and_unknown_targets(client: httpx.AsyncClient) -> None:
    w = await world(client)
    other = await signup(client)
    foreign_project = await client.post("/v1/projects", json={"name": "F"}, headers=other.headers)
    foreign_resource = await client.post(
        "/v1/resources", json={"name": "F", "kind": "room"}, headers=other.headers
    )
    unknown = await w.book(
        at("10:00"), at("11:00"), project_id=foreign_project.json()["id"], expect=404
    )
    assert unknown.json()["code"] == "not_found"
    body = {"resource_id": foreign_resource.json()["id"], "start": at("10:00"), "end": at("11:00")}
    response = await client.post("/v1/bookings", json=body, headers=w.manager)
    assert response.status_code == 404
    project = await client.post("/v1/projects", json={"name": "P"}, headers=w.admin)
    pid = project.json()["id"]
    await client.request("DELETE", f"/v1/projects/{pid}", json={"reason": "x"}, headers=w.admin)
    inactive = await w.book(at("10:00"), at("11:00"), project_id=pid, expect=422)
    assert inactive.json()["code"] == "project_inactive"
    await client.request(
        "DELETE", f"/v1/resources/{w.resource['id']}", json={"reason": "x"}, headers=w.admin
    )
    gone = await w.book(at("10:00"), at("11:00"), expect=422)
    assert gone.json()["code"] == "resource_inactive"


async def test_working_hours_for_members(client: httpx.AsyncClient) -> None:
    hours = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "tue": [["00:00", "24:00"]],
             "wed": [["00:00", "06:00"]]}  # fmt: skip
    w = await world(client, timezone="Europe/Berlin", working_hours=hours)
    # Monday 2030-01-07 in Berlin is UTC+1.
    await w.book("2030-01-07T09:00:00+01:00", "2030-01-07T12:00:00+01:00", headers=w.member)
    outside = await w.book(at("07:00"), at("08:30"), headers=w.member, expect=422)
    assert outside.json()["code"] == "outside_working_hours"
    spanning = await w.book(
        "2030-01-07T11:00:00+01:00", "2030-01-07T14:00:00+01:00", headers=w.member, expect=422
    )
    assert spanning.json()["code"] == "outside_working_hours"
    # Tuesday all day touching Wednesday morning is one working stretch.
    await w.book("2030-01-08T20:00:00+01:00", "2030-01-09T05:00:00+01:00", headers=w.member)
    await w.book(at("05:00"), at("06:00"), headers=w.manager)  # managers may book outside
