import asyncio
import uuid
from typing import Any

import pytest
import socketio

from server.db import Database
from tests.factories import add_user, signup
from tests.realtime.conftest import (
    Client,
    LiveServer,
    add_member,
    connect,
    eventually,
    mirror,
    record_changes,
)


async def test_seq_increases_by_one_per_change_under_concurrent_writers(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    writers, each = 8, 10
    await asyncio.gather(*(record_changes(rt_db, tenant.id, each) for _ in range(writers)))
    total = writers * each
    await client.wait_for(lambda: len(client.seqs()) >= total)
    assert client.seqs() == list(range(1, total + 1))


async def test_a_client_converges_when_the_relay_stops_after_commit(
    live: LiveServer, rt_db: Database
) -> None:
    tenant = await signup(live.http)
    m = await mirror(live.url, tenant.token)
    relay = live.app.realtime.relay
    assert relay is not None
    try:
        await record_changes(rt_db, tenant.id, 2)
        await eventually(lambda: m.applied == [1, 2])
        await relay.stop()
        await record_changes(rt_db, tenant.id, 3)
        # Nothing is pushed; the heartbeat shows seq 5 and the mirror syncs the gap.
        await eventually(lambda: m.applied == [1, 2, 3, 4, 5])
        assert m.syncs >= 1
        assert not any(data.get("seq", 0) > 2 for _, data in m.client.received if "type" in data)
    finally:
        relay.start()
        await m.client.close()
    # The relay, back as leader, pushes again from the committed head.
    await eventually(lambda: relay.is_leader)
    m2 = await mirror(live.url, tenant.token, since=5)
    try:
        await record_changes(rt_db, tenant.id, 1)
        await eventually(lambda: m2.applied == [6])
    finally:
        await m2.client.close()


async def test_a_lost_publish_is_noticed_and_filled_by_sync(
    live: LiveServer, rt_db: Database
) -> None:
    tenant = await signup(live.http)
    m = await mirror(live.url, tenant.token)
    relay = live.app.realtime.relay
    assert relay is not None
    emit = relay.emit
    dropped: list[int] = []

    async def lossy(event: str, payload: dict[str, object], room: str) -> None:
        if payload["seq"] == 2 and room == f"tenant:{tenant.id}":
            dropped.append(2)
            return
        await emit(event, payload, room)

    relay.emit = lossy
    try:
        await record_changes(rt_db, tenant.id, 3)
        await eventually(lambda: m.applied == [1, 2, 3])
        assert dropped == [2]
    finally:
        relay.emit = emit
        await m.client.close()


async def test_a_reconnecting_client_catches_up_with_sync(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    first = await connect(live.url, tenant.token)
    await record_changes(rt_db, tenant.id, 1)
    await first.wait_for(lambda: first.seqs() == [1])
    await first.close()
    await record_changes(rt_db, tenant.id, 3)
    again = await connect(live.url, tenant.token)
    clients.append(again)
    page = await again.call("sync", {"since": 1})
    assert [e["seq"] for e in page["events"]] == [2, 3, 4]
    assert page["seq"] == 4
    assert {e["type"] for e in page["events"]} == {"resource.created"}


async def test_a_deactivated_users_socket_is_disconnected(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    member, token = await add_member(live.http, tenant)
    admin = await connect(live.url, tenant.token)
    socket = await connect(live.url, token)
    clients.extend([admin, socket])
    response = await live.http.request(
        "DELETE",
        f"/v1/users/{member['id']}",
        json={"reason": "left the company"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    await socket.wait_for(lambda: not socket.sio.connected, within=5)
    assert admin.sio.connected
    refused = socketio.AsyncClient(reconnection=False)
    errors: list[object] = []
    refused.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(live.url, auth={"token": token}, transports=["websocket"])
    assert errors == [{"message": "unauthorized"}]


async def test_a_demoted_users_socket_loses_the_old_rights_within_a_heartbeat(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    manager, token = await add_user(live.http, tenant, "manager")
    resource = await live.http.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=tenant.headers
    )
    socket = await connect(live.url, token)
    clients.append(socket)
    slot = {"resource_id": resource.json()["id"], "status": "pending"}
    created = await socket.call(
        "booking.create",
        {**slot, "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"},
    )
    assert created["ok"], created
    demoted = await live.http.patch(
        f"/v1/users/{manager['id']}", json={"role": "member"}, headers=tenant.headers
    )
    assert demoted.status_code == 200

    async def approve(booking_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await socket.call(
            "booking.transition", {"id": booking_id, "action": "approve"}
        )
        return answer

    # The role is checked before the id: an unknown id answers not_found to a manager and
    # forbidden to a member, which tells when the socket's role changed without side effects.
    unknown = str(uuid.uuid4())
    deadline = asyncio.get_running_loop().time() + 5
    while (await approve(unknown))["error"]["code"] == "not_found":
        assert asyncio.get_running_loop().time() < deadline, "the role never changed"
        await asyncio.sleep(0.1)
    answer = await approve(created["booking"]["id"])
    assert answer["error"]["code"] == "forbidden"
    assert created["booking"]["status"] == "pending"
    assert socket.sio.connected
