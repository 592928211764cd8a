"""The composition root: pool, Redis, routes, and the Socket.IO gateway on one ASGI app."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from realtime.hub import Realtime
from realtime.operations import OperationRpc
from server import migrations
from server.audit.routes import api as audit_api
from server.auth.revocation import Revocations
from server.auth.routes import api as auth_api
from server.availability.routes import api as availability_api
from server.bookings.routes import api as bookings_api
from server.calendar.routes import api as calendar_api
from server.config import DEFAULT_NODE_MODULES, Settings
from server.dashboard.routes import dashboard_api
from server.events.routes import api as events_api
from server.holds.routes import api as holds_api
from server.http.api import Api
from server.http.docs import docs_api
from server.http.middleware import RequestContext
from server.http.problems import HANDLERS
from server.http.ratelimit import Limiter
from server.http.runtime import Runtime
from server.notifications.routes import api as notifications_api
from server.ops.routes import api as ops_api
from server.projects.routes import api as projects_api
from server.resources.routes import api as resources_api
from server.schedule.routes import api as schedule_api
from server.series.routes import api as series_api
from server.solver.pool import SolverPool
from server.solver.routes import api as solver_api
from server.tenants.routes import api as tenants_api
from server.time_off.routes import api as time_off_api
from server.users.routes import api as users_api
from server.webhooks.routes import api as webhooks_api
from server.workflow import queue
from server.workflow.routes import api as workflow_api

CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "X-Request-ID",
    "X-Platform-Token",
]


def build_api(node_modules: Path = DEFAULT_NODE_MODULES) -> Api:
    """Every feature's routes, in the order the docs list them."""
    api = Api()
    api.include(dashboard_api(node_modules))
    api.include(ops_api)
    api.include(tenants_api)
    api.include(auth_api)
    api.include(users_api)
    api.include(availability_api)
    api.include(calendar_api)
    api.include(workflow_api)
    api.include(events_api)
    api.include(resources_api)
    api.include(projects_api)
    api.include(bookings_api)
    api.include(series_api)
    api.include(holds_api)
    api.include(time_off_api)
    api.include(schedule_api)
    api.include(solver_api)
    api.include(audit_api)
    api.include(notifications_api)
    api.include(webhooks_api)
    # Last: the document describes every route above and itself.
    api.include(docs_api(api, node_modules))
    return api


def create_app(settings: Settings) -> ASGIApp:
    redis_url = settings.require_redis_url()
    api = build_api(settings.node_modules_dir())
    state: dict[str, Runtime] = {}
    realtime = Realtime(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = await migrations.open_database(settings)
        # Every Redis call a request waits for gives up within BOOKING_REDIS_TIMEOUT.
        timeout = settings.redis_timeout
        jobs = queue.pool(redis_url, timeout)
        db.enqueuer = queue.enqueuer(jobs, deadline=timeout)
        redis = Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
        rt = Runtime(
            settings=settings,
            db=db,
            redis=redis,
            limiter=Limiter(settings, redis_url),
            revocations=Revocations(
                redis,
                db,
                timeout=timeout,
                cache_seconds=settings.revocation_cache_seconds,
            ),
            solver=SolverPool(settings.solver_processes),
        )
        state["rt"] = rt
        if settings.solver_warm_up:
            rt.solver.warm()
        await realtime.start(
            db,
            rpc=OperationRpc(db, rt.limiter.check_write),
            check_token=rt.revocations.check,
        )
        # Startup objects live as long as the process; keep the collector off them.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await rt.drain(seconds=15)
            await realtime.stop()
            await rt.solver.close()
            await rt.limiter.close()
            await redis.aclose()
            await queue.close(jobs)
            await db.close()

    app = Starlette(
        routes=api.starlette_routes(lambda: state["rt"]),
        middleware=[
            Middleware(RequestContext),
            # Browsers on other origins (dashboards) may call the API: bearer tokens, no cookies.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list(),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=["X-Request-ID", "Retry-After", "ETag"],
                max_age=600,
            ),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    # A trailing slash is another path: 404 not_found, not a redirect clients may not follow.
    app.router.redirect_slashes = False
    return realtime.asgi(app)
