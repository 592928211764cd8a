"""Booking RPCs over the socket answer exactly as HTTP does."""

import uuid
from typing import Any

import httpx

from tests.factories import PASSWORD, Tenant, signup
from tests.realtime.conftest import Client, LiveServer, connect

START = "2026-03-02T09:00:00+01:00"
END = "2026-03-02T10:00:00+01:00"


def _same(http: httpx.Response, ack: dict[str, Any]) -> dict[str, Any]:
    """The HTTP problem minus ``request_id`` equals the socket's; returns it."""
    assert http.status_code >= 400, http.text
    assert http.headers["content-type"].startswith("application/problem+json")
    problem = http.json()
    problem.pop("request_id", None)
    assert ack == {"ok": False, "error": problem}
    return problem


async def _resource(http: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await http.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    resource_id: str = response.json()["id"]
    return resource_id


async def _user(http: httpx.AsyncClient, tenant: Tenant, role: str) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
    body = {"email": email, "name": role, "role": role, "password": PASSWORD}
    created = await http.post("/v1/users", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    login = await http.post(
        "/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


async def test_booking_create_over_the_socket_equals_http(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    body = {"resource_id": resource_id, "start": START, "end": END, "title": "Standup"}
    ack = await client.call("booking.create", body)
    assert ack["ok"] is True, ack
    booking = ack["booking"]
    fetched = await live.http.get(f"/v1/bookings/{booking['id']}", headers=tenant.headers)
    assert fetched.json() == booking
    assert booking["status"] == "confirmed"
    await client.wait_for(lambda: bool(client.named("booking.created")))
    event = client.named("booking.created")[0]
    assert event["data"] == booking
    assert event["actor_id"] == tenant.admin["id"]

    # Every failure renders the same problem body on both faces.
    cases: list[dict[str, Any]] = [
        {"resource_id": "nope", "start": "2026-03-02T09:00:00", "end": 5, "color": "red"},
        {},
        {"resource_id": resource_id, "start": END, "end": START},
        {"resource_id": resource_id, "start": START, "end": END},  # overlaps: conflict
        {"resource_id": str(uuid.uuid4()), "start": START, "end": END},
        {"resource_id": resource_id, "start": START, "end": END, "note": "a\u0000b"},
    ]
    for case in cases:
        http = await live.http.post("/v1/bookings", json=case, headers=tenant.headers)
        _same(http, await client.call("booking.create", case))
    conflict = await client.call("booking.create", cases[3])
    assert conflict["error"]["code"] == "booking_conflict"
    assert [c["id"] for c in conflict["error"]["conflicts"]] == [booking["id"]]
    nul = await client.call("booking.create", cases[5])
    assert nul["error"]["errors"] == [{"field": "note", "message": "must not contain NUL (U+0000)"}]
    invalid = await client.call("booking.create", cases[0])
    assert {e["field"] for e in invalid["error"]["errors"]} == {
        "resource_id",
        "start",
        "end",
        "color",
    }

    viewer = await connect(live.url, await _user(live.http, tenant, "viewer"))
    clients.append(viewer)
    viewer_token = await _user(live.http, tenant, "viewer")
    http = await live.http.post(
        "/v1/bookings", json=body, headers={"Authorization": f"Bearer {viewer_token}"}
    )
    problem = _same(http, await viewer.call("booking.create", body))
    assert problem["code"] == "forbidden"


async def test_booking_transition_over_the_socket_equals_http(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    other_resource = await _resource(live.http, tenant)
    created = await live.http.post(
        "/v1/bookings",
        json={"resource_id": resource_id, "start": START, "end": END},
        headers=tenant.headers,
    )
    booking = created.json()
    client = await connect(live.url, tenant.token)
    clients.append(client)
    path = f"/v1/bookings/{booking['id']}"

    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        # (HTTP path, HTTP body, socket message)
        (f"{path}/approve", {}, {"id": booking["id"], "action": "approve"}),
        ("/v1/bookings/not-an-id/cancel", {}, {"id": "not-an-id", "action": "cancel"}),
        (
            f"/v1/bookings/{uuid.uuid4()}/cancel",
            {"reason": "x"},
            {"id": "", "action": "cancel", "reason": "x"},
        ),
        (f"{path}/assign", {}, {"id": booking["id"], "action": "assign"}),
        (
            f"{path}/cancel",
            {"resource_id": other_resource, "reason": 7},
            {"id": booking["id"], "action": "cancel", "resource_id": other_resource, "reason": 7},
        ),
        (
            f"{path}/assign",
            {"resource_id": str(uuid.uuid4())},
            {"id": booking["id"], "action": "assign", "resource_id": str(uuid.uuid4())},
        ),
    ]
    for http_path, http_body, message in cases:
        if message["id"] == "":
            message["id"] = http_path.split("/")[3]
        http = await live.http.post(http_path, json=http_body, headers=tenant.headers)
        ack = await client.call("booking.transition", message)
        if "resource_id" in http_body and message["action"] == "assign":
            # Another unknown resource: same problem, whatever the id.
            assert ack["error"]["code"] == http.json()["code"] == "not_found"
            continue
        _same(http, ack)

    moved = await client.call(
        "booking.transition",
        {"id": booking["id"], "action": "assign", "resource_id": other_resource},
    )
    assert moved["ok"] is True, moved
    assert moved["booking"]["resource_id"] == other_resource
    cancelled = await client.call(
        "booking.transition", {"id": booking["id"], "action": "cancel", "reason": "rain"}
    )
    assert cancelled["ok"] is True
    assert cancelled["booking"]["status"] == "cancelled"
    await client.wait_for(lambda: len(client.named("booking.cancelled")) == 1)
    assert client.named("booking.cancelled")[0]["data"] == cancelled["booking"]
    again = await live.http.post(f"{path}/cancel", json={}, headers=tenant.headers)
    _same(again, await client.call("booking.transition", {"id": booking["id"], "action": "cancel"}))
    assert again.json()["code"] == "invalid_transition"
