import httpx

from tests.server.bookings.common import at, world


async def test_reschedule_diff_and_filters(client: httpx.AsyncClient) -> None:
    w = await world(client)
    a = (await w.book(at("08:00"), at("09:00"))).json()
    request_id = "reschedule-42"
    moved = await client.patch(
        f"/v1/bookings/{a['id']}",
        json={"start": at("09:00"), "end": at("10:00")},
        headers={**w.manager, "X-Request-ID": request_id},
    )
    assert moved.status_code == 200
    forbidden = await client.get("/v1/audit", headers=w.manager)
    assert forbidden.status_code == 403
    entries = await client.get(
        f"/v1/audit?entity_type=booking&entity_id={a['id']}", headers=w.admin
    )
    assert entries.status_code == 200, entries.text
    items = entries.json()["items"]
    assert [e["action"] for e in items] == ["booking.created", "booking.updated"]
    update = items[1]
    assert set(update) == {
        "id", "at", "actor_id", "action", "entity_type", "entity_id", "correlation_id",
        "before", "after", "diff",
    }  # fmt: skip
    assert update["correlation_id"] == request_id
    assert update["diff"] == {
        "start": [at("08:00"), at("09:00")],
        "end": [at("09:00"), at("10:00")],
    }
    assert update["before"]["start"] == at("08:00")
    assert update["after"] == moved.json()
    assert items[0]["before"] is None
    by_entity = await client.get(f"/v1/audit?entity_id={a['id']}&limit=1", headers=w.admin)
    page = by_entity.json()
    assert len(page["items"]) == 1
    rest = await client.get(
        f"/v1/audit?entity_id={a['id']}&cursor={page['next_cursor']}", headers=w.admin
    )
    assert [e["action"] for e in rest.json()["items"]] == ["booking.updated"]
    actor = update["actor_id"]
    mine = await client.get(f"/v1/audit?actor_id={actor}", headers=w.admin)
    assert {e["actor_id"] for e in mine.json()["items"]} == {actor}
    later = await client.get(f"/v1/audit?from={update['at']}", headers=w.admin)
    assert [e["id"] for e in later.json()["items"]] == [update["id"]]
    other = await world(client)
    foreign = await client.get(f"/v1/audit?entity_id={a['id']}", headers=other.admin)
    assert foreign.json()["items"] == []
