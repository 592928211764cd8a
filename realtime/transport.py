"""Engine.IO sockets that write websocket frames straight to uvicorn's protocol.

python-engineio gives every websocket a writer task that waits on the socket's queue
(through ``asyncio.wait_for``, one more task per wait), a reader that wraps each receive
in a task, and a ping task asleep for 25 s; a room emit adds one task per recipient.
``FastSocket`` keeps the queue for long polling only. Once its websocket is open, a
packet is written at once when uvicorn's ``websockets-sansio`` protocol can take it
(an already-serialized frame, so a room emit frames its text once for every socket);
otherwise — a slow reader whose transport paused writing, or another ASGI server —
packets wait in an ordered backlog drained by one task through the ASGI ``send``. Pings
are timer callbacks. Every packet of a socket goes through ``write``, so order is kept.
A reader so slow that ``MAX_BACKLOG`` packets wait is dropped (its connection aborted):
memory stays bounded, and the client reconnects and ``sync``s what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

import engineio
import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State


def text_frame(text: str) -> bytes:
    """The unmasked, uncompressed frame a server sends for ``text``: the same for everyone."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def _direct_protocol(ws: Any) -> WebSocketsSansIOProtocol | None:
    """uvicorn's protocol behind the ASGI ``send`` of ``ws``, when frames can skip it."""
    proto = getattr(getattr(ws, "asgi_send", None), "__self__", None)
    if isinstance(proto, WebSocketsSansIOProtocol) and not proto.conn.extensions:
        return proto
    return None


class _Written:
    """The queue of a socket whose packets are written: always empty, nothing to join.

    An ``asyncio.Queue`` is four deques (~2.5 KB); after the websocket opens only
    ``close`` still looks at it (``join``).
    """

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0

    def get_nowait(self) -> None:
        raise asyncio.QueueEmpty

    def put_nowait(self, item: Any) -> None:
        raise RuntimeError("the socket writes its packets; nothing is queued")

    async def join(self) -> None:
        return None


_WRITTEN = _Written()
# Packets that may wait for one slow reader before its socket is dropped.
MAX_BACKLOG = 1000
_ENVIRON_KEPT = frozenset(
    ("asgi.receive", "asgi.send", "asgi.scope", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING")
)


class FastSocket(AsyncSocket):  # type: ignore[misc]
    """An Engine.IO socket; ``FastEngine`` turns each new socket into one."""

    connected: bool
    last_ping: float | None
    queue: Any
    # Class defaults: sockets become FastSockets by ``__class__`` after ``__init__`` ran.
    _ws: Any = None
    _proto: WebSocketsSansIOProtocol | None = None
    _backlog: deque[str] | None = None
    _drainer: asyncio.Task[None] | None = None
    _ping_timer: asyncio.TimerHandle | None = None
    _closer: asyncio.Future[None] | None = None
    _dropped: bool = False

    @property
    def on_websocket(self) -> bool:
        return self._ws is not None

    async def send(self, pkt: eio_packet.Packet) -> None:
        if self._ws is None:
            await super().send(pkt)
        elif await self.check_ping_timeout():
            self.write(pkt.encode())

    def deliver(self, text: str, frame: bytes, now: float) -> bool:
        """Write an encoded Engine.IO message; False if it must go through ``send``."""
        if self._ws is None or self.closing or self.closed:
            return False
        last_ping = self.last_ping
        if last_ping and now - last_ping > self.server.ping_timeout:
            return False  # ``send`` closes it
        self.write(text, frame)
        return True

    def write(self, text: str, frame: bytes | None = None) -> None:
        """Send ``text`` on the websocket after everything written before it."""
        if self._backlog is not None:
            if len(self._backlog) >= MAX_BACKLOG:
                self._drop()
                return
            self._backlog.append(text)
            return
        proto = self._proto
        if (
            proto is not None
            and proto.writable.is_set()
            and not proto.close_sent
            and not proto.disconnected
            and proto.conn.state is State.OPEN
        ):
            proto.transport.write(frame if frame is not None else text_frame(text))
            return
        self._backlog = deque((text,))
        self._drainer = asyncio.ensure_future(self._drain())

    def _drop(self) -> None:
        """Give up on a reader that fell ``MAX_BACKLOG`` packets behind."""
        if self._dropped:
            return
        self._dropped = True
        if self._backlog is not None:
            self._backlog.clear()
        proto = self._proto
        if proto is not None:
            # Its kernel buffers are full: a close frame would wait behind them.
            proto.transport.abort()
        reason = self.server.reason.TRANSPORT_ERROR
        self._closer = asyncio.ensure_future(self.close(wait=False, abort=True, reason=reason))

    async def _drain(self) -> None:
        backlog = self._backlog
        if backlog is None:
            return
        try:
            while backlog:
                await self._ws.send(backlog[0])
                backlog.popleft()
        except Exception:
            backlog.clear()
        finally:
            self._backlog = None

    def schedule_ping(self) -> None:
        if self.last_ping:
            self.last_ping = None
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        pkt = eio_packet.Packet(eio_packet.PING)
        if self._ws is not None:
            self.write(pkt.encode())
        else:
            self.queue.put_nowait(pkt)

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        was_open = not self.closing and not self.closed
        await super().close(wait=wait, abort=abort, reason=reason)
        if was_open and not abort and self._ws is not None:
            # engineio leaves closing the websocket to the client after the CLOSE
            # packet, but a client that stopped answering pings never will; the reader
            # waits without a timer of its own, so close it here.
            self._closer = asyncio.ensure_future(self._close_websocket())

    async def _close_websocket(self) -> None:
        await self._flushed()
        await self._ws.close()

    async def _flushed(self) -> None:
        drainer = self._drainer
        if drainer is not None and not drainer.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(drainer, self.server.ping_timeout)

    async def _upgrade_websocket(self, environ: dict[str, Any]) -> Any:
        # The environ lives as long as the websocket (python-socketio keeps it, and the
        # request's coroutines hold it). Its body wrapper is an instance of a class
        # engineio defines per request (~2.5 KB) and its HTTP_* copies of the headers
        # another ~2 KB; the headers stay in ``asgi.scope``.
        for key in [k for k in environ if k not in _ENVIRON_KEPT]:
            del environ[key]
        return await super()._upgrade_websocket(environ)

    async def _websocket_handler(self, ws: Any) -> None:
        """engineio's handler, without the writer task and the task per receive."""
        if self.connected:
            if not await self._upgrade(ws):
                return
        else:
            self.connected = True
            self.upgraded = True
        self._open(ws)
        limit = self.server.max_http_buffer_size
        while True:
            # No timer per read: a peer that stops answering Engine.IO pings is closed
            # by the ping check (``close``), which ends this wait.
            try:
                data = await ws.wait()
                if data and len(data) > limit:
                    break  # too large: engineio closes the connection too
            except (asyncio.CancelledError, Exception):
                break
            if data is None:
                break
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                break
            except Exception:
                self.server.logger.exception("Unknown receive error")
        await self._shut(ws)

    async def _upgrade(self, ws: Any) -> bool:
        """The polling → websocket upgrade (probe ping, pong, upgrade), as engineio does it."""
        self.upgrading = True
        try:
            probe = eio_packet.Packet(encoded_packet=await ws.wait())
            if probe.packet_type != eio_packet.PING or probe.data != "probe":
                return False
            await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            await self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
            upgrade = eio_packet.Packet(encoded_packet=await ws.wait())
            if upgrade.packet_type != eio_packet.UPGRADE:
                return False
        except (OSError, ValueError):
            return False
        finally:
            self.upgrading = False
        self.upgraded = True
        return True

    def _open(self, ws: Any) -> None:
        """From now on ``write`` sends; what was queued before goes first."""
        queued: list[str] = []
        while True:
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is not None:
                queued.append(pkt.encode())
        self.queue = _WRITTEN
        self._ws = ws
        self._proto = proto = _direct_protocol(ws)
        if proto is not None and proto.handshake_complete:
            # uvicorn keeps the handshake's request and response (~2.5 KB of headers)
            # for the connection's life; after the handshake nothing reads them.
            del proto.request, proto.response
        for text in queued:
            self.write(text)

    async def _shut(self, ws: Any) -> None:
        await self._flushed()
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)


class FastEngine(engineio.AsyncServer):  # type: ignore[misc]
    """An Engine.IO server whose sockets are ``FastSocket``s."""

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "connect":
            sock = self.sockets.get(args[0])
            if type(sock) is AsyncSocket:
                # Set before the socket sends anything but the queued OPEN packet.
                sock.__class__ = FastSocket
        return await super()._trigger_event(event, *args, **kwargs)


class FastServer(socketio.AsyncServer):  # type: ignore[misc]
    """A Socket.IO server on ``FastEngine``."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return FastEngine
