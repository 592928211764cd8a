"""A real local HTTP server (aiohttp) that records webhook POSTs and answers as scripted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Answers ``script`` in turn, then ``default``; ``hold`` blocks answers until set."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.default = Answer()
        self.received: list[Received] = []
        self.arrived = asyncio.Event()
        self.hold: asyncio.Event | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.path, dict(request.headers), body, time.monotonic()))
        self.arrived.set()
        answer = self.script.pop(0) if self.script else self.default
        if self.hold is not None:
            await self.hold.wait()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    def bodies(self, path: str = "/hook") -> list[bytes]:
        return [r.body for r in self.received if r.path == path]


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """A Receiver listening on a free loopback port; ``url`` ends in ``/hook``."""
    found = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        if found.hold is not None:
            found.hold.set()
        await runner.cleanup()
