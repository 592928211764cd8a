"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from server import errors
from server.http.api import Api, Call
from server.schemas import Out, encoder
from server.workflow.queue import worker_heartbeat

api = Api()
CHECK_TIMEOUT = 2.0


class Health(Out):
    status: str


class Readiness(Out):
    """``checks`` gate readiness; ``worker`` is informational (the last heartbeat or null)."""

    status: str
    checks: dict[str, str]
    worker: str | None = None


@api.route(
    "GET", "/healthz", role=None, summary="The process is alive", tag="operations", response=Health
)
async def healthz(call: Call) -> Health:
    return Health(status="ok")


async def _check_db(call: Call) -> None:
    async with call.rt.db.pool.acquire(timeout=CHECK_TIMEOUT) as conn:
        await conn.fetchval("SELECT 1")


async def _check_redis(call: Call) -> None:
    await call.rt.redis.ping()


@api.route(
    "GET",
    "/readyz",
    role=None,
    summary="Database and Redis are reachable",
    tag="operations",
    response=Readiness,
    other_responses={503: Readiness},
)
async def readyz(call: Call) -> Response:
    checks: dict[str, str] = {}
    for name, check in (("database", _check_db), ("redis", _check_redis)):
        try:
            await asyncio.wait_for(check(call), CHECK_TIMEOUT)
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"down: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    worker = None
    if checks["redis"] == "ok":
        with contextlib.suppress(Exception):
            worker = await asyncio.wait_for(worker_heartbeat(call.rt.redis), CHECK_TIMEOUT)
    body = Readiness(status="ok" if ready else "unavailable", checks=checks, worker=worker)
    return Response(
        encoder.encode(body), status_code=200 if ready else 503, media_type="application/json"
    )


@api.route(
    "GET",
    "/metrics",
    role=None,
    summary="Prometheus metrics",
    tag="operations",
    content_type=CONTENT_TYPE_LATEST,
    errors=(401, 404),
)
async def metrics(call: Call) -> Response:
    """Open by default; ``BOOKING_METRICS_TOKEN`` asks for ``Authorization: Bearer <token>``;
    with ``BOOKING_METRICS_PORT`` they are served on that port only."""
    settings = call.rt.settings
    if settings.metrics_port is not None:
        raise errors.NotFound("Metrics are served on their own port")
    if settings.metrics_token is not None:
        presented = call.request.headers.get("authorization", "").encode()
        expected = f"Bearer {settings.metrics_token}".encode()
        if not hmac.compare_digest(presented, expected):
            raise errors.Unauthorized("Metrics need Authorization: Bearer <BOOKING_METRICS_TOKEN>")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
