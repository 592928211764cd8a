"""Socket writes are the HTTP routes' operations, idempotency keys included."""

import uuid
from typing import Any

from realtime.operations import EVENTS
from server.app import build_api
from server.bookings.transitions import ACTIONS
from tests.factories import Tenant, signup
from tests.realtime.conftest import Client, LiveServer, connect
from tests.realtime.test_rpc import _resource, _same

START = "2026-03-02T09:00:00+01:00"
END = "2026-03-02T10:00:00+01:00"
LATER = "2026-03-02T11:00:00+01:00"


def test_every_socket_write_is_an_http_route() -> None:
    routes = {(spec.method, spec.path): spec for spec in build_api().routes}
    for event in EVENTS.values():
        for op in event.operations.values():
            spec = routes[(op.method, op.path)]
            assert (spec.role, spec.body, spec.status) == (op.role, op.body, op.status), op.name
            assert spec.transactional, op.name
    asked = {name for name, action in ACTIONS.items() if action.role is not None}
    assert set(EVENTS["booking.transition"].operations) == asked


async def _bookings(live: LiveServer, tenant: Tenant) -> list[str]:
    listed = await live.http.get("/v1/bookings", headers=tenant.headers)
    return [b["id"] for b in listed.json()["items"]]


async def test_a_socket_create_sent_twice_with_one_key_books_once(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    body = {"resource_id": resource_id, "start": START, "end": END}
    first = await client.call("booking.create", {**body, "idempotency_key": "sock-1"})
    again = await client.call("booking.create", {"idempotency_key": "sock-1", **body})
    assert first["ok"] is True, first
    assert again == first
    assert await _bookings(live, tenant) == [first["booking"]["id"]]
    await client.wait_for(lambda: bool(client.named("booking.created")))
    assert len(client.named("booking.created")) == 1

    # Another body under the same key: the problem HTTP answers for its own reused key.
    other = {**body, "end": LATER}
    headers = {**tenant.headers, "Idempotency-Key": "http-1"}
    assert (await live.http.post("/v1/bookings", json=body, headers=headers)).status_code == 409
    http = await live.http.post("/v1/bookings", json=other, headers=headers)
    ack = await client.call("booking.create", {**other, "idempotency_key": "sock-1"})
    reused = _same(http, ack)
    assert reused["code"] == "idempotency_key_reused"

    # An error inside the transaction is stored and replayed too, as over HTTP.
    clash = {**body, "idempotency_key": "sock-2"}
    refused = await client.call("booking.create", clash)
    assert refused["error"]["code"] == "booking_conflict"
    assert await client.call("booking.create", clash) == refused

    # A malformed key is the 422 HTTP gives for its header, naming the field.
    for bad in ("", "k" * 256, 7):
        ack = await client.call("booking.create", {**body, "idempotency_key": bad})
        assert ack["error"]["code"] == "validation_error"
        assert [e["field"] for e in ack["error"]["errors"]] == ["idempotency_key"]
    assert await _bookings(live, tenant) == [first["booking"]["id"]]


async def test_http_and_socket_share_keys(live: LiveServer, clients: list[Client]) -> None:
    tenant = await signup(live.http)
    resource_id = await _resource(live.http, tenant)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    body = {"resource_id": resource_id, "start": START, "end": END}

    # HTTP first, then the socket retries with the same key: replayed, not booked again.
    headers = {**tenant.headers, "Idempotency-Key": "shared-1"}
    created = await live.http.post("/v1/bookings", json=body, headers=headers)
    assert created.status_code == 201, created.text
    replayed = await client.call("booking.create", {**body, "idempotency_key": "shared-1"})
    assert replayed == {"ok": True, "booking": created.json()}
    moved = {**body, "idempotency_key": "shared-1", "end": LATER}
    assert (await client.call("booking.create", moved))["error"]["code"] == (
        "idempotency_key_reused"
    )
    booking_id = created.json()["id"]
    assert await _bookings(live, tenant) == [booking_id]

    # Socket first, then HTTP: the transition happens once; HTTP replays it with its ETag.
    message = {"id": booking_id, "action": "cancel", "reason": "rain", "idempotency_key": "c-1"}
    cancelled = await client.call("booking.transition", message)
    assert cancelled["ok"] is True, cancelled
    http = await live.http.post(
        f"/v1/bookings/{booking_id}/cancel",
        json={"reason": "rain"},
        headers={**tenant.headers, "Idempotency-Key": "c-1"},
    )
    assert (http.status_code, http.json()) == (200, cancelled["booking"])
    assert http.headers["etag"] == f'"{cancelled["booking"]["version"]}"'
    # The same key on another booking's path is another request.
    other = await live.http.post(
        f"/v1/bookings/{uuid.uuid4()}/cancel",
        json={"reason": "rain"},
        headers={**tenant.headers, "Idempotency-Key": "c-1"},
    )
    assert other.json()["code"] == "idempotency_key_reused"

    # A stored socket error replays over HTTP as the same problem (its request's id aside).
    again = {"id": booking_id, "action": "approve", "idempotency_key": "a-1"}
    refused = await client.call("booking.transition", again)
    http = await live.http.post(
        f"/v1/bookings/{booking_id}/approve",
        headers={**tenant.headers, "Idempotency-Key": "a-1"},
    )
    assert http.status_code == 409
    problem: dict[str, Any] = http.json()
    assert problem.pop("request_id").startswith("sio-")
    assert refused == {"ok": False, "error": problem}

    # Holds and series take keys the same way.
    hold = {"resource_id": resource_id, "start": LATER, "end": "2026-03-02T12:00:00+01:00"}
    first = await client.call("hold.create", {**hold, "idempotency_key": "h-1"})
    assert first["ok"] is True, first
    assert await client.call("hold.create", {**hold, "idempotency_key": "h-1"}) == first
    release = {"id": first["hold"]["id"], "idempotency_key": "h-2"}
    assert await client.call("hold.release", release) == {"ok": True}
    assert await client.call("hold.release", release) == {"ok": True}
    gone = await client.call("hold.release", {"id": first["hold"]["id"]})
    assert gone["error"]["code"] == "hold_expired"
