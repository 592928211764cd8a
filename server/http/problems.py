"""Every error leaves as ``application/problem+json`` with a stable ``code``."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server import errors
from server.http.api import request_id
from server.schemas import encoder


def problem_response(err: errors.AppError, request: Request) -> Response:
    # For the metrics of business outcomes (server/http/middleware.py).
    request.scope.setdefault("state", {})["error_code"] = err.code
    headers = {}
    if isinstance(err, errors.RateLimited | errors.Unavailable):
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, errors.MethodNotAllowed):
        allow = err.extras.pop("allow", None)
        if allow:
            headers["Allow"] = allow
    return Response(
        encoder.encode(err.problem(request_id(request))),
        status_code=err.status,
        media_type="application/problem+json",
        headers=headers,
    )


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.AppError)
    return problem_response(exc, request)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    err: errors.AppError
    if exc.status_code == 404:
        err = errors.NotFound(f"No route for {request.url.path}")
    elif exc.status_code == 405:
        err = errors.MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}",
            allow=(exc.headers or {}).get("Allow", ""),
        )
    else:
        err = errors.BadRequest(str(exc.detail))
        err.status = exc.status_code  # type: ignore[misc]
    return problem_response(err, request)


HANDLERS = {errors.AppError: app_error, HTTPException: http_error}
