import asyncio
import json
import time
import uuid
from typing import Any

import pytest
import websockets

from realtime.fanout import FanoutManager
from realtime.sessions import tenant_room
from realtime.transport import FastSocket
from server.db import Database
from tests.factories import signup
from tests.realtime.conftest import Client, LiveServer, connect, eventually, record_changes


def _manager(live: LiveServer) -> FanoutManager:
    manager = live.app.realtime.sio.manager
    assert isinstance(manager, FanoutManager)
    return manager


def _socket(live: LiveServer, client: Client) -> FastSocket:
    sio = live.app.realtime.sio
    eio_sid = sio.manager.eio_sid_from_sid(client.sio.get_sid(), "/")
    sock = sio.eio.sockets[eio_sid]
    assert isinstance(sock, FastSocket)
    return sock


async def test_websocket_polling_and_upgraded_clients_get_the_same_events_in_seq_order(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    websocket = await connect(live.url, tenant.token)
    polling = await connect(live.url, tenant.token, transports=["polling"])
    upgraded = await connect(live.url, tenant.token, transports=["polling", "websocket"])
    clients.extend([websocket, polling, upgraded])
    await upgraded.wait_for(lambda: upgraded.sio.transport() == "websocket")
    assert _socket(live, websocket)._proto is not None  # frames go straight to uvicorn
    assert not _socket(live, polling).on_websocket
    # python-engineio's client refuses a long-poll answer of more than 16 packets.
    seqs = await record_changes(rt_db, tenant.id, 12)
    for client in (websocket, polling, upgraded):
        await client.wait_for(lambda client=client: client.seqs() == seqs)
    events = websocket.named("resource.created")
    assert polling.named("resource.created") == events
    assert upgraded.named("resource.created") == events
    # Acks still answer on the same socket after the direct writes.
    reply = await websocket.call("sync", {"since": seqs[-1]})
    assert reply == {"events": [], "seq": seqs[-1]}


async def test_a_socket_whose_transport_is_full_gets_its_events_in_order_once_it_drains(
    live: LiveServer, rt_db: Database, clients: list[Client]
) -> None:
    tenant = await signup(live.http)
    client = await connect(live.url, tenant.token)
    clients.append(client)
    proto = _socket(live, client)._proto
    assert proto is not None
    proto.writable.clear()  # what uvicorn does when the transport pauses writing
    try:
        seqs = await record_changes(rt_db, tenant.id, 5)
        await asyncio.sleep(0.5)
        assert client.seqs() == []
    finally:
        proto.writable.set()
    more = await record_changes(rt_db, tenant.id, 5)
    await client.wait_for(lambda: client.seqs() == seqs + more)


async def test_a_room_without_local_sockets_costs_no_encoding(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = _manager(live)
    built: list[Any] = []
    original = manager.server.packet_class

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(manager.server, "packet_class", counting)
    room = tenant_room(uuid.uuid4())
    message = {
        "method": "emit",
        "event": "resource.created",
        "data": [{"seq": 1}],
        "binary": False,
        "namespace": "/",
        "room": room,
        "skip_sid": None,
        "callback": None,
        "host_id": "elsewhere",
    }
    await manager._handle_emit(message)
    await manager.emit("heartbeat", {"seq": 1}, namespace="/", room=room, ignore_queue=True)
    assert built == []


async def test_a_websocket_that_stopped_answering_pings_is_closed_by_the_server(
    live: LiveServer,
) -> None:
    tenant = await signup(live.http)
    url = live.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(url) as raw:  # a client that never closes on its own
        assert str(await raw.recv()).startswith("0{")
        await raw.send("40" + json.dumps({"token": tenant.token}))
        connected = str(await raw.recv())
        assert connected.startswith("40{"), connected
        sid = json.loads(connected[2:])["sid"]
        sio = live.app.realtime.sio
        sock = sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, "/")]
        assert isinstance(sock, FastSocket)
        sock.last_ping = time.time() - 3600  # a ping went unanswered long ago
        assert not await sock.check_ping_timeout()
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(5):
                while True:
                    await raw.recv()
    await eventually(lambda: sid not in live.app.realtime.sessions.sids())
