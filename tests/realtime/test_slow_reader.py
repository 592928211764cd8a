"""A socket that stops reading is dropped once ``MAX_BACKLOG`` packets wait for it."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from websockets.asyncio.client import connect as ws_connect

from realtime import transport
from realtime.sessions import tenant_room
from tests.factories import signup
from tests.realtime.conftest import LiveServer, eventually


async def test_a_reader_that_falls_too_far_behind_is_dropped(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "MAX_BACKLOG", 50)
    tenant = await signup(live.http)
    url = live.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    realtime = live.app.realtime
    # max_queue=1: the client stops reading from its connection after one unread frame.
    async with ws_connect(url, max_queue=1, max_size=None) as ws:
        assert str(await ws.recv()).startswith("0{")
        await ws.send("40" + json.dumps({"token": tenant.token}))
        assert str(await ws.recv()).startswith("40")
        users = realtime.sessions.users_of(uuid.UUID(tenant.id))
        assert users
        room = tenant_room(uuid.UUID(tenant.id))
        payload = {"blob": "x" * 16384}
        for _ in range(4000):  # 64 MiB offered; kernel buffers take a few MiB at most
            await realtime.sio.manager.deliver("filler", payload, "/", room)
            if not realtime.sessions.users_of(uuid.UUID(tenant.id)):
                break
            await asyncio.sleep(0)
        await eventually(lambda: not realtime.sessions.users_of(uuid.UUID(tenant.id)), within=10)
