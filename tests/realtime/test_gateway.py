import asyncio
import time
import uuid
from typing import Any

import pytest
import socketio

from server.auth.tokens import issue_access_token
from server.config import Settings
from server.db import Database
from tests.factories import PASSWORD, add_user, signup
from tests.realtime.conftest import Client, LiveServer, connect, record_changes


async def test_connect_without_or_with_a_bad_token_is_refused(
    live: LiveServer, rt_settings: Settings
) -> None:
    tenant = await signup(live.http)
    expired = issue_access_token(
        rt_settings,
        user_id=tenant.admin["id"],
        tenant_id=tenant.id,
        role="admin",
        now=time.time() - 3600,
    )
    for auth in ({}, {"token": ""}, {"token": 42}, {"token": "not-a-jwt"}, {"token": expired}):
        sio = socketio.AsyncClient(reconnection=False)
        refusals: list[Any] = []
        sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(live.url, auth=auth, transports=["websocket"], wait_timeout=5)
        assert refusals == [{"message": "unauthorized"}]
        assert not sio.connected


async def test_events_reach_the_tenant_room_in_seq_order(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    polling = await connect(live.url, tenant.token, transports=["polling"])
    clients.append(polling)
    seqs = await record_changes(rt_db, tenant.id, 3)
    await client.wait_for(lambda: client.seqs() == seqs)
    await polling.wait_for(lambda: polling.seqs() == seqs)
    event = client.named("resource.created")[0]
    assert set(event) == {"seq", "type", "at", "actor_id", "data"}
    assert event["type"] == "resource.created"
    assert event["at"].endswith("Z")
    assert polling.named("resource.created") == client.named("resource.created")
    # A polling client's own disconnect waits for its pending long poll; the server's doesn't.
    await live.app.realtime.sio.disconnect(polling.sio.get_sid())
    await polling.wait_for(lambda: not polling.sio.connected)


async def test_a_tenant_never_receives_another_tenants_events(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    a = await signup(live.http)
    b = await signup(live.http)
    client_a = await connect(live.url, a.token)
    client_b = await connect(live.url, b.token)
    clients.extend([client_a, client_b])
    # Forged room joins are unknown events: answered with an error, rooms unchanged.
    for event, data in (
        ("join", f"tenant:{a.id}"),
        ("join", {"room": f"tenant:{a.id}"}),
        ("enter_room", {"room": f"tenant:{a.id}"}),
        ("subscribe", {"tenant_id": a.id}),
    ):
        ack = await client_b.call(event, data)
        assert ack["ok"] is False
        assert ack["error"]["code"] == "not_found"
    # sync always reads the socket's own tenant; another tenant's seq range is invalid.
    seqs = await record_changes(rt_db, a.id, 2)
    await client_a.wait_for(lambda: client_a.seqs() == seqs)
    ack = await client_b.call("sync", {"since": 0, "tenant_id": a.id})
    assert ack["error"]["code"] == "validation_error"
    assert ack["error"]["errors"] == [{"field": "tenant_id", "message": "Unknown field"}]
    ack = await client_b.call("sync", {"since": 0})
    assert ack == {"events": [], "seq": 0}
    await client_b.wait_for(lambda: len(client_b.named("heartbeat")) >= 2)
    assert client_b.seqs() == []
    assert {beat["seq"] for beat in client_b.named("heartbeat")} == {0}
    assert all(not event.startswith("resource.") for event, _ in client_b.received)


async def test_sync_replays_in_pages_and_rejects_a_future_seq(
    live: LiveServer, rt_db: Database, rt_settings: Settings, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    count = rt_settings.sync_max_events + 5
    seqs = await record_changes(rt_db, tenant.id, count)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    first = await client.call("sync", {"since": 0})
    assert [e["seq"] for e in first["events"]] == seqs[: rt_settings.sync_max_events]
    assert first["seq"] == count
    rest = await client.call("sync", {"since": first["events"][-1]["seq"]})
    assert [e["seq"] for e in rest["events"]] == seqs[rt_settings.sync_max_events :]
    http = await live.http.get(
        f"/v1/events?since={first['events'][-1]['seq']}", headers=tenant.headers
    )
    if http.status_code == 200:
        assert http.json() == rest
    future = await client.call("sync", {"since": count + 1})
    assert future["error"]["code"] == "validation_error"
    assert future["error"]["errors"][0]["field"] == "since"


async def test_malformed_input_gets_an_error_ack_and_never_disturbs_others(
    live: LiveServer, rt_db: Database, rt_settings: Settings, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    bystander = await connect(live.url, tenant.token)
    rude = await connect(live.url, tenant.token)
    clients.extend([bystander, rude])
    cases = [
        ("sync", None),
        ("sync", "x"),
        ("sync", {"since": "1"}),
        ("sync", {"since": -1}),
        ("sync", [1, 2]),
        ("sync", b"\x00\x01binary"),
        ("sync", {"since": 1.5, "extra": True}),
        ("reauth", {}),
        ("reauth", {"token": "nope"}),
        ("booking.transition", {"id": "x", "action": "explode"}),
        ("booking.create", b"binary"),
        ("booking.create", ["not", "an", "object"]),
    ]
    for event, data in cases:
        ack = await rude.call(event, data)
        error = ack["error"]
        assert error["code"] in {"validation_error", "unauthorized"}, (event, data, ack)
        assert error["status"] in {401, 422}
        assert "request_id" not in error
    multi = await rude.call("sync", ({"since": 0}, {"since": 1}))
    assert multi["error"]["code"] == "validation_error"
    transition = await rude.call("booking.transition", {"id": 7, "action": "explode"})
    fields = {e["field"] for e in transition["error"]["errors"]}
    assert fields == {"id", "action"}
    # Events nobody handles, and ones without an ack, are harmless.
    await rude.sio.emit("no.such.event", {"x": 1})
    await rude.sio.emit("sync", {"since": 0})
    # An oversized message ends only the sender's connection.
    big = "x" * (rt_settings.socket_max_message_bytes + 1)
    await rude.sio.emit("sync", {"since": 0, "pad": big})
    await rude.wait_for(lambda: not rude.sio.connected)
    seqs = await record_changes(rt_db, tenant.id, 2)
    await bystander.wait_for(lambda: bystander.seqs() == seqs)
    assert (await bystander.call("sync", {"since": 0}))["seq"] == 2


async def test_many_concurrent_requests_on_one_socket_are_bounded(
    live: LiveServer, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    acks = await asyncio.gather(*(client.call("sync", {"since": 0}) for _ in range(40)))
    codes = {a["error"]["code"] if "error" in a else "ok" for a in acks}
    assert "ok" in codes
    assert codes <= {"ok", "rate_limited"}
    assert await client.call("sync", {"since": 0}) == {"events": [], "seq": 0}


async def test_reauth_renews_and_an_expired_token_disconnects(
    live: LiveServer, rt_settings: Settings, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    other = await signup(live.http)
    user_id, tenant_id = tenant.admin["id"], tenant.id
    soon = time.time() - rt_settings.access_token_ttl + 1.5
    short = issue_access_token(
        rt_settings, user_id=user_id, tenant_id=tenant_id, role="admin", now=soon
    )
    renewed = await connect(live.url, short)
    lapsing = await connect(live.url, short)
    clients.extend([renewed, lapsing])
    assert await renewed.call("reauth", {"token": tenant.token}) == {"ok": True}
    wrong = await renewed.call("reauth", {"token": other.token})
    assert wrong["ok"] is False
    assert wrong["error"]["code"] == "unauthorized"
    await lapsing.wait_for(lambda: not lapsing.sio.connected, within=5)
    await asyncio.sleep(2 * rt_settings.heartbeat_seconds)
    assert renewed.sio.connected
    assert await renewed.call("sync", {"since": 0}) == {"events": [], "seq": 0}


async def test_reauth_with_an_old_token_does_not_bring_back_an_old_role(
    live: LiveServer, rt_settings: Settings, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    user, _ = await add_user(live.http, tenant, "manager")
    # A manager token from before the demotion.
    old = issue_access_token(
        rt_settings,
        user_id=uuid.UUID(user["id"]),
        tenant_id=uuid.UUID(tenant.id),
        role="manager",
        now=time.time() - 5,
    )
    demoted = await live.http.patch(
        f"/v1/users/{user['id']}", json={"role": "member"}, headers=tenant.headers
    )
    assert demoted.status_code == 200
    login = await live.http.post(
        "/v1/auth/login",
        json={"tenant": tenant.slug, "email": user["email"], "password": PASSWORD},
    )
    client = await connect(live.url, login.json()["access_token"])
    clients.append(client)
    refused = await client.call("reauth", {"token": old})
    assert refused["ok"] is False
    assert refused["error"]["code"] == "unauthorized"
    approve = await client.call(
        "booking.transition", {"id": str(uuid.uuid4()), "action": "approve"}
    )
    assert approve["error"]["code"] == "forbidden"
