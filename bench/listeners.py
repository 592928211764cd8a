"""Socket.IO listeners in child processes: thousands of sockets are too much for the
load generator's own event loop, so each child holds a share, records the ``seq`` and
latency (receive time minus the event's ``at``) of every event, and reports at the end.

The listeners must not eat the cores the server needs (they share the machine), so by
default each socket is a minimal Engine.IO v4 / Socket.IO v5 client over one aiohttp
websocket (``raw``): it sends the CONNECT packet with the token, answers pings, and
decodes only ``42[...]`` event frames. ``socketio`` uses python-socketio's
``AsyncClient`` instead (several times the CPU per message).

Parent and child talk over a pipe: child → ``("ready", connected, error)``; parent →
``("stop", {tenant: (after_seq, last_seq)}, drain_seconds)``; child → ``("result", …)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import aiohttp
import socketio

from bench.report import Events, latency

PER_PROCESS = 500
MAX_PROCESSES = 8
CONNECT_CONCURRENCY = 32
CONNECT_TIMEOUT = 120.0
# (server url, tenant id, access token) of one listening socket.
Job = tuple[str, str, str]
CLIENTS = ("raw", "socketio")


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one; every socket is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass(slots=True)
class _Socket:
    tenant: str
    client: _Raw | socketio.AsyncClient | None = None
    seen: list[tuple[int, float]] = field(default_factory=list)  # (seq, latency s)

    async def on_any(self, event: str, data: Any = None) -> None:
        self.record(data)

    def record(self, data: Any) -> None:
        if isinstance(data, dict) and "seq" in data and "at" in data:
            at = datetime.fromisoformat(str(data["at"])).timestamp()
            self.seen.append((int(data["seq"]), time.time() - at))

    def window(self, after: int, last: int) -> tuple[set[int], int, list[float]]:
        seqs: set[int] = set()
        duplicates = 0
        samples: list[float] = []
        for seq, lag in self.seen:
            if after < seq <= last:
                if seq in seqs:
                    duplicates += 1
                else:
                    seqs.add(seq)
                    samples.append(lag)
        return seqs, duplicates, samples


class _Raw:
    """One Socket.IO connection on a bare websocket: enough to listen, nothing more."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, sock: _Socket) -> None:
        self.ws = ws
        self.sock = sock
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls, http: aiohttp.ClientSession, url: str, token: str, sock: _Socket
    ) -> _Raw:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = await http.ws_connect(ws_url, autoping=True, max_msg_size=0)
        try:
            opened = await ws.receive_str(timeout=CONNECT_TIMEOUT)
            if not opened.startswith("0{"):
                raise ConnectionError(f"no Engine.IO OPEN: {opened[:80]}")
            await ws.send_str("40" + json.dumps({"token": token}))
            reply = await ws.receive_str(timeout=CONNECT_TIMEOUT)
            if not reply.startswith("40"):
                raise ConnectionError(f"Socket.IO connect refused: {reply[:80]}")
        except BaseException:
            await ws.close()
            raise
        return cls(ws, sock)

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data: str = msg.data
            if data.startswith("42"):
                args = json.loads(data[2:])
                if len(args) > 1:
                    self.sock.record(args[1])
            elif data == "2":
                await self.ws.send_str("3")
            elif data == "1" or data.startswith("41"):
                break

    async def disconnect(self) -> None:
        await self.ws.close()
        self.task.cancel()


def child_main(conn: Connection, jobs: list[Job], client: str = "raw") -> None:
    raise_fd_limit()
    try:
        import uvloop

        uvloop.run(_child(conn, jobs, client))
    except ImportError:
        asyncio.run(_child(conn, jobs, client))


async def _child(conn: Connection, jobs: list[Job], client: str) -> None:
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    sockets = [_Socket(tenant) for _url, tenant, _token in jobs]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    errors: list[str] = []

    async def connect(sock: _Socket, url: str, token: str) -> None:
        async with gate:
            try:
                if client == "raw":
                    sock.client = await _Raw.connect(http, url, token, sock)
                    return
                sio = socketio.AsyncClient(reconnection=False, http_session=http)
                sio.on("*", sock.on_any)
                await sio.connect(url, auth={"token": token}, transports=["websocket"])
                sock.client = sio
            except Exception as exc:
                errors.append(repr(exc))

    try:
        await asyncio.gather(
            *(connect(s, url, token) for s, (url, _t, token) in zip(sockets, jobs, strict=True))
        )
        live = [s for s in sockets if s.client is not None]
        conn.send(("ready", len(live), errors[0] if errors else ""))
        message = await asyncio.to_thread(conn.recv)
        _stop, windows, drain = message
        deadline = time.monotonic() + float(drain)
        while time.monotonic() < deadline:
            if all(
                len(s.window(*windows[s.tenant])[0]) >= windows[s.tenant][1] - windows[s.tenant][0]
                for s in live
            ):
                break
            await asyncio.sleep(0.1)
        received = duplicates = expected = 0
        samples: list[float] = []
        for s in live:
            after, last = windows[s.tenant]
            seqs, dups, lags = s.window(after, last)
            received += len(seqs)
            duplicates += dups
            expected += last - after
            samples.extend(lags)
        conn.send(("result", len(live), received, duplicates, samples))
    finally:
        await asyncio.gather(
            *(asyncio.wait_for(s.client.disconnect(), 5) for s in sockets if s.client is not None),
            return_exceptions=True,
        )
        await http.close()


class Listeners:
    """``jobs`` spread over child processes; ``start`` then ``finish``, ``close`` always."""

    def __init__(
        self, jobs: list[Job], per_process: int = PER_PROCESS, client: str = "raw"
    ) -> None:
        self.jobs = jobs
        self.client = client
        count = min(MAX_PROCESSES, max(1, math.ceil(len(jobs) / per_process))) if jobs else 0
        self.shares = [jobs[i::count] for i in range(count)]
        self.procs: list[tuple[BaseProcess, Connection]] = []
        self.connected = 0

    @property
    def processes(self) -> int:
        return len(self.shares)

    async def start(self) -> str:
        """Connect every socket; returns the first connect error seen, if any."""
        context = multiprocessing.get_context("spawn")
        for share in self.shares:
            parent, child = context.Pipe()
            proc = context.Process(target=child_main, args=(child, share, self.client), daemon=True)
            proc.start()
            child.close()
            self.procs.append((proc, parent))
        error = ""
        for _proc, pipe in self.procs:
            message = await _receive(pipe, CONNECT_TIMEOUT)
            self.connected += int(message[1])
            error = error or str(message[2])
        return error

    async def finish(self, windows: dict[str, tuple[int, int]], drain: float) -> Events:
        for _proc, pipe in self.procs:
            pipe.send(("stop", windows, drain))
        received = duplicates = expected = 0
        samples: list[float] = []
        for _proc, pipe in self.procs:
            _tag, _live, got, dups, lags = await _receive(pipe, drain + 30)
            received += got
            duplicates += dups
            samples.extend(lags)
        expected = sum(
            last - after for _url, tenant, _token in self.jobs for after, last in [windows[tenant]]
        )
        return Events(
            sockets=len(self.jobs),
            connected=self.connected,
            expected=expected,
            received=received,
            duplicates=duplicates,
            latency=latency(samples),
        )

    def close(self) -> None:
        for proc, pipe in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            pipe.close()
        self.procs.clear()


async def _receive(pipe: Connection, seconds: float) -> Any:
    if not await asyncio.to_thread(pipe.poll, seconds):
        raise TimeoutError("a listener process did not answer in time")
    return pipe.recv()
