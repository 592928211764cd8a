import asyncio
import uuid

import asyncpg
import httpx

from tests.server.bookings.common import at, world


async def test_events_since_limit_and_isolation(client: httpx.AsyncClient) -> None:
    w = await world(client)
    other = await world(client)
    start = (await client.get("/v1/events", headers=w.viewer)).json()["seq"]
    made = await asyncio.gather(*(w.book(at(f"{h:02}:00"), at(f"{h:02}:30")) for h in range(8, 14)))
    page = (await client.get(f"/v1/events?since={start}&limit=4", headers=w.viewer)).json()
    assert page["seq"] == start + 6
    assert [e["seq"] for e in page["events"]] == [start + 1, start + 2, start + 3, start + 4]
    assert {e["type"] for e in page["events"]} == {"booking.created"}
    assert set(page["events"][0]) == {"seq", "type", "at", "actor_id", "data"}
    rest = (await client.get(f"/v1/events?since={start + 4}", headers=w.viewer)).json()
    ids = {e["data"]["id"] for e in page["events"] + rest["events"]}
    assert ids == {r.json()["id"] for r in made}
    ahead = await client.get(f"/v1/events?since={start + 7}", headers=w.viewer)
    assert ahead.status_code == 422
    theirs = (await client.get("/v1/events?since=0", headers=other.viewer)).json()
    assert not ids & {e["data"].get("id") for e in theirs["events"]}
    assert (await client.get("/v1/events")).status_code == 401


async def test_pruned_events_answer_410_resync_required(
    client: httpx.AsyncClient, database_url: str
) -> None:
    w = await world(client)
    start = (await client.get("/v1/events", headers=w.viewer)).json()["seq"]
    for hour in (8, 9, 10):
        await w.book(at(f"{hour:02}:00"), at(f"{hour:02}:30"))
    conn = await asyncpg.connect(database_url)
    try:  # what the retention job does, for this tenant only
        await conn.execute(
            "DELETE FROM events WHERE tenant_id = $1 AND seq <= $2",
            uuid.UUID(w.tenant.id),
            start + 2,
        )
    finally:
        await conn.close()
    for since in (0, start, start + 1):
        gone = await client.get(f"/v1/events?since={since}", headers=w.viewer)
        assert gone.status_code == 410, gone.text
        assert gone.headers["content-type"] == "application/problem+json"
        assert gone.json()["code"] == "resync_required"
    kept = (await client.get(f"/v1/events?since={start + 2}", headers=w.viewer)).json()
    assert [e["seq"] for e in kept["events"]] == [start + 3]
    assert (await client.get(f"/v1/events?since={start + 3}", headers=w.viewer)).json() == {
        "events": [],
        "seq": start + 3,
    }
