import httpx

from tests.server.bookings.common import at, world


async def test_patch_reschedule_and_if_match(client: httpx.AsyncClient) -> None:
    w = await world(client)
    a = (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()
    b = (await w.book(at("10:00"), at("11:00"))).json()
    url = f"/v1/bookings/{a['id']}"
    moved = await client.patch(
        url, json={"start": at("09:00"), "end": at("10:00"), "title": "T"}, headers=w.member
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    assert moved.json()["start"] == at("09:00")
    assert moved.json()["title"] == "T"
    stale = await client.patch(url, json={"note": "x"}, headers={**w.member, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    fresh = await client.patch(url, json={"note": "x"}, headers={**w.member, "If-Match": '"2"'})
    assert fresh.status_code == 200
    assert fresh.json()["note"] == "x"
    overlap = await client.patch(url, json={"end": at("10:30")}, headers=w.member)
    assert overlap.status_code == 409
    assert [c["id"] for c in overlap.json()["conflicts"]] == [b["id"]]
    backwards = await client.patch(url, json={"end": at("08:00")}, headers=w.member)
    assert backwards.json()["code"] == "invalid_period"
    not_mine = await client.patch(f"/v1/bookings/{b['id']}", json={"title": "x"}, headers=w.member)
    assert not_mine.status_code == 403
    by_manager = await client.patch(url, json={"title": "M"}, headers=w.manager)
    assert by_manager.status_code == 200
    await client.post(f"{url}/cancel", headers=w.member)
    closed = await client.patch(url, json={"title": "again"}, headers=w.member)
    assert closed.status_code == 409
    assert closed.json()["code"] == "invalid_transition"
    other = await world(client)
    foreign = await client.patch(url, json={"title": "x"}, headers=other.manager)
    assert foreign.status_code == 404
    foreign_resource = await client.patch(
        f"/v1/bookings/{b['id']}", json={"resource_id": other.resource["id"]}, headers=w.manager
    )
    assert foreign_resource.status_code == 404


async def test_member_reschedule_needs_approval_again(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await w.settings(approval_required=True)
    a = (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()
    await client.post(f"/v1/bookings/{a['id']}/approve", headers=w.manager)
    renamed = await client.patch(f"/v1/bookings/{a['id']}", json={"title": "x"}, headers=w.member)
    assert renamed.json()["status"] == "confirmed"
    moved = await client.patch(
        f"/v1/bookings/{a['id']}", json={"start": at("07:00")}, headers=w.member
    )
    assert moved.json()["status"] == "pending"


async def test_budget_on_create_and_patch(client: httpx.AsyncClient) -> None:
    w = await world(client)
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 2}, headers=w.admin
    )
    pid = project.json()["id"]
    a = (await w.book(at("08:00"), at("09:00"), project_id=pid)).json()
    over = await w.book(at("10:00"), at("11:30"), project_id=pid, expect=409)
    assert over.json()["code"] == "budget_exceeded"
    await w.book(at("10:00"), at("11:00"), project_id=pid)
    longer = await client.patch(
        f"/v1/bookings/{a['id']}", json={"end": at("09:30")}, headers=w.manager
    )
    assert longer.status_code == 409
    assert longer.json()["code"] == "budget_exceeded"
    # The booking's own hour is not counted against it: 1 h besides it, 1.5 h asked.
    assert (longer.json()["booked_hours"], longer.json()["requested_hours"]) == (1.0, 1.5)
    shifted = await client.patch(
        f"/v1/bookings/{a['id']}", json={"start": at("07:00"), "end": at("08:00")},
        headers=w.manager,
    )  # fmt: skip
    assert shifted.status_code == 200


async def test_moving_into_a_project_counts_what_it_already_has(
    client: httpx.AsyncClient,
) -> None:
    """A booking's own hours are subtracted only from the project it is on."""
    w = await world(client)
    p = (await client.post("/v1/projects", json={"name": "P"}, headers=w.admin)).json()
    q = await client.post("/v1/projects", json={"name": "Q", "budget_hours": 2}, headers=w.admin)
    qid = q.json()["id"]
    await w.book(at("08:00"), at("09:30"), project_id=qid)
    a = (await w.book(at("10:00"), at("11:00"), project_id=p["id"])).json()
    moved = await client.patch(
        f"/v1/bookings/{a['id']}", json={"project_id": qid}, headers=w.manager
    )
    assert moved.status_code == 409
    assert (moved.json()["booked_hours"], moved.json()["requested_hours"]) == (1.5, 1.0)
    shorter = await client.patch(
        f"/v1/bookings/{a['id']}", json={"project_id": qid, "end": at("10:30")},
        headers=w.manager,
    )  # fmt: skip
    assert shorter.status_code == 200, shorter.text


async def test_list_filters_order_and_pages(client: httpx.AsyncClient) -> None:
    w = await world(client)
    room = await w.resource_with(name="Second")
    project = (await client.post("/v1/projects", json={"name": "P"}, headers=w.admin)).json()
    made = []
    for hour in range(8, 16):
        extra = {"resource_id": room["id"]} if hour % 2 else {}
        headers = w.member if hour < 12 else w.manager
        made.append(
            (
                await w.book(
                    at(f"{hour:02}:00"), at(f"{hour:02}:30"), headers=headers,
                    project_id=project["id"] if hour >= 14 else None, **extra,
                )
            ).json()
        )  # fmt: skip
    await client.post(f"/v1/bookings/{made[0]['id']}/cancel", headers=w.manager)

    async def numbers(query: str) -> list[int]:
        response = await client.get(f"/v1/bookings?{query}", headers=w.viewer)
        assert response.status_code == 200, response.text
        return [b["number"] for b in response.json()["items"]]

    assert await numbers("") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert await numbers(f"resource_id={room['id']}") == [2, 4, 6, 8]
    assert await numbers(f"project_id={project['id']}") == [7, 8]
    assert await numbers(f"requester_id={w.member_id}") == [1, 2, 3, 4]
    assert await numbers("status=cancelled") == [1]
    assert await numbers("status=confirmed,cancelled&limit=2") == [1, 2]
    assert await numbers(f"from={at('09:15')}&to={at('11:00')}") == [2, 3]
    assert await numbers(f"from={at('09:30')}") == [3, 4, 5, 6, 7, 8]
    bad = await client.get("/v1/bookings?status=nope", headers=w.viewer)
    assert bad.status_code == 422
    backwards = await client.get(
        f"/v1/bookings?from={at('11:00')}&to={at('10:00')}", headers=w.viewer
    )
    assert backwards.status_code == 422
    seen: list[int] = []
    cursor = ""
    for _ in range(10):
        page = (await client.get(f"/v1/bookings?limit=3{cursor}", headers=w.viewer)).json()
        seen += [b["number"] for b in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8]


async def test_booking_responses_carry_the_version_as_etag(client: httpx.AsyncClient) -> None:
    w = await world(client)
    created = await w.book(at("08:00"), at("09:00"), headers=w.member)
    assert created.headers["etag"] == '"1"'
    url = f"/v1/bookings/{created.json()['id']}"
    read = await client.get(url, headers=w.member)
    assert read.headers["etag"] == '"1"'
    edited = await client.patch(
        url, json={"note": "n"}, headers={**w.member, "If-Match": read.headers["etag"]}
    )
    assert edited.status_code == 200
    assert edited.headers["etag"] == '"2"'
    cancelled = await client.post(f"{url}/cancel", headers=w.member)
    assert cancelled.headers["etag"] == '"3"'


async def test_if_match_is_parsed_before_the_write(client: httpx.AsyncClient) -> None:
    w = await world(client)
    created = await w.book(at("08:00"), at("09:00"), headers=w.member)
    url = f"/v1/bookings/{created.json()['id']}"
    bad = await client.patch(url, json={"note": "n"}, headers={**w.member, "If-Match": "v1"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "If-Match", "message": 'expected a quoted version, e.g. "3"'}
    ]
    weak = await client.patch(
        url, json={"note": "n"}, headers={**w.member, "If-Match": 'W/"1"', "Idempotency-Key": "k"}
    )
    assert (weak.status_code, weak.headers["etag"]) == (200, '"2"')
