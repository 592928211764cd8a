"""Process logging: plain lines or one JSON object per line (``BOOKING_LOG_FORMAT``).

JSON lines carry the request id, tenant and user of the request (or job) being served,
kept in context variables that the HTTP layer sets; fields are null outside a request.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

import msgspec

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TENANT: ContextVar[str | None] = ContextVar("tenant", default=None)
USER: ContextVar[str | None] = ContextVar("user", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", "tenant", "user"}`` and
    ``exception`` (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
            "tenant": TENANT.get(),
            "user": USER.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(line).decode()


def configure(level: str, fmt: Literal["text", "json"]) -> None:
    """One handler on the root logger; uvicorn's and arq's loggers propagate to it."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
