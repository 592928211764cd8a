"""How a client talks to the server: HTTP (aiohttp, one pooled session per server
process) or the Socket.IO RPC (one socket per client). Both answer ``Reply``."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import msgspec
import socketio

from bench.stats import NO_ANSWER, Recorder

TIMEOUT = 30.0
_decode = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any


class Transport(Protocol):
    async def create(self, body: dict[str, Any]) -> Reply: ...

    async def act(self, booking_id: str, action: str) -> Reply: ...

    async def patch(self, booking_id: str, body: dict[str, Any], version: int) -> Reply: ...

    async def close(self) -> None: ...


def session(limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=0, ttl_dns_cache=None)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        json_serialize=lambda value: msgspec.json.encode(value).decode(),
    )


async def request(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request; a network failure or timeout is ``Reply(NO_ANSWER, None)``."""
    sent = dict(headers or {})
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = msgspec.json.encode(body)
        sent["content-type"] = "application/json"
    try:
        async with http.request(method, url, data=data, headers=sent) as answer:
            raw = await answer.read()
            return Reply(answer.status, _decode.decode(raw) if raw else None)
    except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError):
        return Reply(NO_ANSWER, None)


class HttpTransport:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.http = http
        self.base_url = base_url
        self.token = token

    async def create(self, body: dict[str, Any]) -> Reply:
        return await request(
            self.http, "POST", f"{self.base_url}/v1/bookings", token=self.token, body=body
        )

    async def act(self, booking_id: str, action: str) -> Reply:
        url = f"{self.base_url}/v1/bookings/{booking_id}/{action}"
        return await request(self.http, "POST", url, token=self.token, body={})

    async def patch(self, booking_id: str, body: dict[str, Any], version: int) -> Reply:
        url = f"{self.base_url}/v1/bookings/{booking_id}"
        headers = {"if-match": f'"{version}"'}
        return await request(self.http, "PATCH", url, token=self.token, body=body, headers=headers)

    async def close(self) -> None:
        return None


class SocketTransport:
    """Creates and transitions over the socket RPC; edits (no RPC for them) over HTTP."""

    def __init__(self, sio: socketio.AsyncClient, http: HttpTransport) -> None:
        self.sio = sio
        self.http = http

    @classmethod
    async def connect(cls, http: HttpTransport) -> SocketTransport:
        sio = socketio.AsyncClient(reconnection=False, http_session=http.http)
        await sio.connect(
            http.base_url, auth={"token": http.token}, transports=["websocket"], wait_timeout=10
        )
        return cls(sio, http)

    async def _call(self, event: str, payload: dict[str, Any]) -> Reply:
        try:
            ack = await self.sio.call(event, payload, timeout=TIMEOUT)
        except (socketio.exceptions.SocketIOError, TimeoutError):
            return Reply(NO_ANSWER, None)
        if isinstance(ack, dict) and ack.get("ok"):
            return Reply(201 if event == "booking.create" else 200, ack.get("booking"))
        error = ack.get("error") if isinstance(ack, dict) else None
        status = error.get("status") if isinstance(error, dict) else None
        return Reply(status if isinstance(status, int) else NO_ANSWER, error)

    async def create(self, body: dict[str, Any]) -> Reply:
        return await self._call("booking.create", body)

    async def act(self, booking_id: str, action: str) -> Reply:
        return await self._call("booking.transition", {"id": booking_id, "action": action})

    async def patch(self, booking_id: str, body: dict[str, Any], version: int) -> Reply:
        return await self.http.patch(booking_id, body, version)

    async def close(self) -> None:
        await self.sio.disconnect()


async def timed(recorder: Recorder, op: str, call: Any) -> Reply:
    """Await ``call`` (a coroutine giving a Reply) and record its status and duration."""
    started = time.perf_counter()
    reply: Reply = await call
    recorder.record(op, reply.status, time.perf_counter() - started)
    if op.startswith("create") and reply.status == 201 and isinstance(reply.body, dict):
        recorder.created.append(str(reply.body["id"]))
    return reply


async def gather_bounded(limit: int, calls: list[Any]) -> list[Any]:
    """Run coroutines with at most ``limit`` at a time, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))
