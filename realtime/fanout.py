"""Room emits that do the per-event work once and almost nothing per recipient.

``AsyncRedisManager`` delivers each published emit to every process, and
python-socketio then starts one task per local recipient. ``FanoutManager`` instead
returns at once when the room has no socket on this process, and otherwise encodes the
Socket.IO packet, its Engine.IO text and the websocket frame once and hands the frame to
each websocket ``FastSocket`` synchronously; polling sockets get the same packet through
their queue. Emits with a callback or binary data keep python-socketio's own path.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from realtime.transport import FastSocket, text_frame

LISTENER_CONNECT_TIMEOUT = 5.0


def _arguments(data: Any) -> list[Any]:
    """Event arguments as ``AsyncManager.emit`` builds them."""
    if isinstance(data, tuple):
        return list(data)
    if data is None:
        return []
    return [data]


class FanoutManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """The Redis manager with a cheap local delivery for room emits."""

    listener: Any = None

    def _redis_connect(self) -> None:
        """Publish through a client with read timeouts, listen through one without.

        A subscriber waits for messages as long as the channel is quiet; the read timeout
        of ``redis_options`` would end every quiet wait with an error and a reconnect.
        """
        super()._redis_connect()
        if self.listener is None:
            # Nobody waits on the subscriber: a generous connect timeout, no read timeout.
            options = {k: v for k, v in self.redis_options.items() if k != "socket_timeout"}
            options["socket_connect_timeout"] = LISTENER_CONNECT_TIMEOUT
            self.listener = type(self.redis).from_url(self.redis_url, **options)
        self.pubsub = self.listener.pubsub(ignore_subscribe_messages=True)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if kwargs.get("ignore_queue") and callback is None and isinstance(room, str):
            await self.deliver(event, data, namespace or "/", room, skip_sid)
            return
        await super().emit(
            event,
            data,
            namespace=namespace,
            room=room,
            skip_sid=skip_sid,
            callback=callback,
            **kwargs,
        )

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if message.get("callback") is None and not message.get("binary") and isinstance(room, str):
            data = message["data"]
            if isinstance(data, list):
                data = data[0] if len(data) == 1 else tuple(data)
            namespace = message.get("namespace") or "/"
            await self.deliver(message["event"], data, namespace, room, message.get("skip_sid"))
            return
        await super()._handle_emit(message)

    def local_members(self, namespace: str, room: str) -> list[tuple[str, str]]:
        """(sid, eio_sid) of the room's sockets on this process."""
        members = self.rooms.get(namespace, {}).get(room)
        return list(members.items()) if members else []

    async def deliver(
        self, event: str, data: Any, namespace: str, room: str, skip_sid: Any = None
    ) -> None:
        """Send one event to the room's sockets on this process, in emit order."""
        members = self.local_members(namespace, room)
        if not members:
            return
        args = _arguments(data)
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args])
        encoded = pkt.encode()
        if isinstance(encoded, list):  # binary attachments: python-socketio's own path
            await socketio.AsyncManager.emit(
                self, event, data, namespace, room=room, skip_sid=skip_sid
            )
            return
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        text = message.encode()
        frame = text_frame(text)
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        now = time.time()
        queued = []
        for sid, eio_sid in members:
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            if isinstance(sock, FastSocket) and sock.deliver(text, frame, now):
                continue
            queued.append(sock)
        for sock in queued:
            with contextlib.suppress(eio_exceptions.SocketIsClosedError):
                await sock.send(message)
