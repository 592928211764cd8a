"""Hold and series RPCs over the socket answer exactly as HTTP does."""

import uuid
from typing import Any

from tests.factories import signup
from tests.realtime.conftest import Client, LiveServer, connect
from tests.realtime.test_rpc import _resource, _same, _user

START = "2026-03-02T09:00:00+01:00"
END = "2026-03-02T10:00:00+01:00"


async def test_holds_over_the_socket_equal_http(live: LiveServer, clients: list[Client]) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    body = {"resource_id": resource_id, "start": START, "end": END, "ttl": "PT5M"}
    ack = await client.call("hold.create", body)
    assert ack["ok"] is True, ack
    hold = ack["hold"]
    listed = await live.http.get("/v1/holds", headers=tenant.headers)
    assert listed.json()["items"] == [hold]
    await client.wait_for(lambda: bool(client.named("hold.created")))
    assert client.named("hold.created")[0]["data"] == hold

    cases: list[dict[str, Any]] = [
        body,  # overlaps the hold: conflict
        {"resource_id": resource_id, "start": START, "end": END, "ttl": "PT2H"},
        {"resource_id": "x", "start": "2026-03-02T09:00:00", "color": 1},
        {"resource_id": str(uuid.uuid4()), "start": START, "end": END},
    ]
    for case in cases:
        http = await live.http.post("/v1/holds", json=case, headers=tenant.headers)
        _same(http, await client.call("hold.create", case))

    missing = str(uuid.uuid4())
    for hold_id in ("not-an-id", missing):
        http = await live.http.post(f"/v1/holds/{hold_id}/confirm", json={},
                                    headers=tenant.headers)  # fmt: skip
        _same(http, await client.call("hold.confirm", {"id": hold_id}))
        http = await live.http.delete(f"/v1/holds/{hold_id}", headers=tenant.headers)
        _same(http, await client.call("hold.release", {"id": hold_id}))
    bad = {"status": "done"}
    http = await live.http.post(f"/v1/holds/{hold['id']}/confirm", json=bad,
                                headers=tenant.headers)  # fmt: skip
    _same(http, await client.call("hold.confirm", {"id": hold["id"], **bad}))

    confirmed = await client.call("hold.confirm", {"id": hold["id"], "title": "Demo"})
    assert confirmed["ok"] is True, confirmed
    booking = confirmed["booking"]
    fetched = await live.http.get(f"/v1/bookings/{booking['id']}", headers=tenant.headers)
    assert fetched.json() == booking and booking["title"] == "Demo"
    await client.wait_for(lambda: bool(client.named("hold.released")))
    assert client.named("hold.released")[0]["data"]["reason"] == "confirmed"
    http = await live.http.post(f"/v1/holds/{hold['id']}/confirm", json={},
                                headers=tenant.headers)  # fmt: skip
    gone = _same(http, await client.call("hold.confirm", {"id": hold["id"]}))
    assert gone["code"] == "hold_expired"

    later = {"resource_id": resource_id, "start": END, "end": "2026-03-02T11:00:00+01:00"}
    second = (await client.call("hold.create", later))["hold"]
    assert await client.call("hold.release", {"id": second["id"]}) == {"ok": True}
    http = await live.http.delete(f"/v1/holds/{second['id']}", headers=tenant.headers)
    _same(http, await client.call("hold.release", {"id": second["id"]}))

    viewer_token = await _user(live.http, tenant, "viewer")
    viewer = await connect(live.url, viewer_token)
    clients.append(viewer)
    http = await live.http.post("/v1/holds", json=later,
                                headers={"Authorization": f"Bearer {viewer_token}"})  # fmt: skip
    assert _same(http, await viewer.call("hold.create", later))["code"] == "forbidden"


async def test_series_over_the_socket_equals_http(live: LiveServer, clients: list[Client]) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    body = {"resource_id": resource_id, "start": START, "end": END,
            "recurrence": {"freq": "weekly", "count": 3}}  # fmt: skip
    ack = await client.call("series.create", body)
    assert ack["ok"] is True, ack
    made = ack["series"]
    fetched = await live.http.get(f"/v1/series/{made['id']}", headers=tenant.headers)
    assert fetched.json() == made and len(made["bookings"]) == 3
    await client.wait_for(lambda: len(client.named("booking.created")) == 3)
    cases: list[dict[str, Any]] = [
        body,  # every occurrence clashes
        {**body, "recurrence": {"freq": "daily", "count": 2, "until": END}},
        {**body, "recurrence": {"freq": "daily", "until": "2028-01-01T00:00:00Z"}},
        {"resource_id": resource_id},
    ]
    for case in cases:
        http = await live.http.post("/v1/series", json=case, headers=tenant.headers)
        _same(http, await client.call("series.create", case))
    clash = await client.call("series.create", body)
    assert [c["occurrence_start"] for c in clash["error"]["conflicts"]] == [
        b["start"] for b in made["bookings"]]  # fmt: skip
