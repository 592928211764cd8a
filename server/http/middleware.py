"""Outermost ASGI middleware: request ids, metrics, and the last-resort 500."""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.db import UNAVAILABLE_RETRY_AFTER, database_unavailable, unreachable
from server.errors import AppError, Internal
from server.logs import REQUEST_ID, TENANT, USER
from server.metrics import record_booking_outcome
from server.schemas import encoder

log = logging.getLogger("server.http")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter(
    "booking_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "booking_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

BOOKING_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BOOKING_ROUTES = "/v1/bookings"
# Recorded for a request whose client went away before its body arrived (nginx's code).
CLIENT_CLOSED = 499


class RequestContext:
    """Gives every request an id (echoing a valid incoming one) and measures it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        started = time.perf_counter()
        # The api layer fills tenant and user once it has authenticated the request.
        tokens = (REQUEST_ID.set(request_id), TENANT.set(None), USER.set(None))
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # Nobody is left to answer, and nothing was done: not a server error.
            status = CLIENT_CLOSED
            log.info("client disconnected before its request %s was read", request_id)
        except Exception as exc:
            if response_started:
                log.exception("unhandled error in request %s", request_id)
                raise
            err: AppError
            headers = [(b"content-type", b"application/problem+json")]
            if unreachable(exc):
                # Met outside a transaction (a bare pool call): the same 503 as inside one.
                log.warning("database unreachable in request %s: %r", request_id, exc)
                err = database_unavailable()
                headers.append((b"retry-after", str(UNAVAILABLE_RETRY_AFTER).encode()))
            else:
                log.exception("unhandled error in request %s", request_id)
                err = Internal("An unexpected error occurred")
            await send_with_id(
                {"type": "http.response.start", "status": err.status, "headers": headers}
            )
            body = encoder.encode(err.problem(request_id))
            await send({"type": "http.response.body", "body": body})
        finally:
            REQUEST_ID.reset(tokens[0])
            TENANT.reset(tokens[1])
            USER.reset(tokens[2])
            route = str(state.get("route", "unmatched"))
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            if scope["method"] in BOOKING_WRITES and route.startswith(BOOKING_ROUTES):
                record_booking_outcome(route, status, state.get("error_code"))
