"""The realtime face of one process: Socket.IO server, gateway, relay and heartbeat.

``create_app`` builds a ``Realtime`` (the ``AsyncServer`` must exist before the ASGI app
does), wraps the HTTP app with ``asgi``, and calls ``start``/``stop`` from its lifespan
with the database and the booking RPCs it owns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import socketio
from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from realtime.fanout import FanoutManager
from realtime.gateway import CheckToken, Gateway
from realtime.heartbeat import Ticker
from realtime.operations import OperationRpc
from realtime.relay import Relay
from realtime.sessions import Sessions
from realtime.transport import FastServer
from realtime.wake import Waker, wake_channel
from server.config import Settings
from server.db import Database
from server.metrics import count_sockets

SOCKETIO_PATH = "socket.io"


def cors_origins(settings: Settings) -> str | list[str]:
    """``*`` or the list of ``BOOKING_CORS_ORIGINS``, as python-socketio takes them."""
    origins = settings.cors_origin_list()
    return "*" if "*" in origins else origins


def pubsub_channel(settings: Settings) -> str:
    """Processes sharing a database share the channel; other deployments on the Redis don't."""
    name = urlsplit(settings.require_database_url()).path.lstrip("/") or "booking"
    return f"socketio:{name}"


def redis_options(settings: Settings) -> dict[str, Any]:
    """Publishing gives up within ``BOOKING_REDIS_TIMEOUT`` instead of hanging the relay."""
    timeout = settings.redis_timeout
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def build_server(settings: Settings) -> socketio.AsyncServer:
    manager = FanoutManager(
        settings.require_redis_url(),
        channel=pubsub_channel(settings),
        redis_options=redis_options(settings),
    )
    return FastServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=cors_origins(settings),
        max_http_buffer_size=settings.socket_max_message_bytes,
        http_compression=settings.socket_compression,
        transports=["polling", "websocket"],
        logger=False,
        engineio_logger=False,
    )


class Realtime:
    """Everything realtime in one process; no state lives anywhere else."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions = Sessions()
        self.sio = build_server(settings)
        self.gateway = Gateway(self.sio, settings, self.sessions)
        self.relay: Relay | None = None
        self.ticker: Ticker | None = None
        self._uncount: Callable[[], None] | None = None
        self.waker: Waker | None = None
        self._db: Database | None = None

    def asgi(self, other: ASGIApp) -> RealtimeApp:
        """``other`` behind Socket.IO on ``/socket.io/``: HTTP and sockets on one port."""
        return RealtimeApp(self, other)

    async def start(
        self,
        db: Database,
        rpc: OperationRpc | None,
        check_token: CheckToken | None = None,
    ) -> None:
        self.gateway.bind(db, rpc, check_token)
        self._uncount = count_sockets(self.sessions.__len__)
        if not self.sio.manager_initialized:
            # Subscribe to the Redis channel now rather than at the first connection, so
            # a socket joining later does not miss what was published meanwhile.
            self.sio.manager_initialized = True
            self.sio.manager.initialize()
        self.relay = Relay(self.settings, db, self._emit)
        # Writers wake the relay after commit: in process when it leads here, else by Redis.
        redis = Redis.from_url(self.settings.require_redis_url(), **redis_options(self.settings))
        self.waker = Waker(redis, wake_channel(self.settings))
        self.waker.local = self.relay.wake
        db.on_events = self.waker.wake
        self._db = db
        self.relay.start()
        self.ticker = Ticker(self.sio, db, self.sessions, self.settings.heartbeat_seconds)
        self.ticker.start()

    async def stop(self) -> None:
        if self._uncount is not None:
            self._uncount()
            self._uncount = None
        if self.ticker is not None:
            await self.ticker.stop()
        if self.relay is not None:
            await self.relay.stop()
        if self._db is not None:
            self._db.on_events = None
        if self.waker is not None:
            await self.waker.close()
            with contextlib.suppress(Exception):
                await self.waker.redis.aclose()
        for sid in self.sessions.sids():
            with contextlib.suppress(Exception):
                await self.sio.disconnect(sid, ignore_queue=True)
        await self.sio.shutdown()
        await _close_manager(self.sio.manager)

    async def _emit(self, event: str, payload: dict[str, Any], room: str) -> None:
        await self.sio.emit(event, payload, room=room)


async def _close_manager(manager: Any) -> None:
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for name in ("pubsub", "redis", "listener"):
        client = getattr(manager, name, None)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()


class RealtimeApp:
    """The process's ASGI app; ``realtime`` is reachable for operations and tests."""

    def __init__(self, realtime: Realtime, other: ASGIApp) -> None:
        self.realtime = realtime
        self._app = socketio.ASGIApp(
            realtime.sio, other_asgi_app=other, socketio_path=SOCKETIO_PATH
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
