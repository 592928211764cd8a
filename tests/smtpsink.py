"""A real local SMTP server (aiosmtpd) whose answers a test scripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from server.devservices import free_port


class Sink:
    """An SMTP handler that answers ``refusals`` in turn, then accepts every message."""

    def __init__(self, refusals: list[str] | None = None) -> None:
        self.refusals = list(refusals or [])
        self.attempts = 0
        self.accepted: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.refusals:
            return self.refusals.pop(0)
        self.accepted.append(envelope)
        return "250 OK"


@contextmanager
def smtp_sink(refusals: list[str] | None = None) -> Iterator[tuple[str, Sink]]:
    """``(smtp_url, sink)`` of a server listening on a free loopback port."""
    sink = Sink(refusals)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", sink
    finally:
        controller.stop()
