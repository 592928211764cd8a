"""Declared routes: auth, role, body, query and response types in one place.

Every route states the least role it needs, the Structs it decodes and returns, and the
errors it can answer; the wrapper enforces the role, decodes (422 listing every bad
field), runs writes in one tenant transaction with ``Idempotency-Key`` support, and
encodes the answer. The same declarations produce the OpenAPI document.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp

from server import errors
from server.auth.tokens import decode_access_token
from server.db import Context, Tx
from server.http.runtime import Runtime
from server.idempotency import service as idempotency
from server.logs import TENANT, USER
from server.operations import (
    WRITE_METHODS,
    Operation,
    encode_answer,
    params_of,
    parse_id,
    request_fingerprint,
    require_role,
)
from server.schemas import convert, decode_json

Handler = Callable[..., Awaitable[Any]]


@dataclass(slots=True)
class Call:
    """What a handler gets: the request, the runtime, and what the wrapper decoded."""

    request: Request
    rt: Runtime
    ctx: Context | None
    body: Any
    query: Any
    params: dict[str, UUID]
    # The version of ``If-Match`` on a route declared with ``if_match=True``.
    if_match: int | None = None

    @property
    def auth(self) -> Context:
        assert self.ctx is not None
        return self.ctx


@dataclass(slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    role: str | None
    body: type[Any] | None
    query: type[Any] | None
    response: type[Any] | None
    status: int
    summary: str
    tag: str
    errors: tuple[int, ...]
    transactional: bool
    content_type: str = "application/json"
    params: tuple[str, ...] = field(default=())
    # Takes ``If-Match: "<version>"`` (stale → 412), parsed into ``Call.if_match``.
    if_match: bool = False
    # Answers other than the success one whose body is not a Problem (503 of /readyz).
    other_responses: dict[int, type[Any]] = field(default_factory=dict)


@dataclass(slots=True)
class MountSpec:
    """A folder of files served as they are (not an API operation: not in OpenAPI)."""

    path: str
    app: ASGIApp


class Api:
    """A registry of declared routes; features add theirs, app.py mounts them all."""

    def __init__(self) -> None:
        self.routes: list[RouteSpec] = []
        self.mounts: list[MountSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        role: str | None,
        summary: str,
        tag: str,
        body: type[Any] | None = None,
        query: type[Any] | None = None,
        response: type[Any] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        transactional: bool | None = None,
        content_type: str = "application/json",
        other_responses: dict[int, type[Any]] | None = None,
        if_match: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare a route. Authenticated writes run in one transaction: ``h(call, tx)``."""

        def register(handler: Handler) -> Handler:
            tx = transactional
            if tx is None:
                tx = method in WRITE_METHODS and role is not None
            self.routes.append(
                RouteSpec(
                    method=method,
                    path=path,
                    handler=handler,
                    role=role,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    summary=summary,
                    tag=tag,
                    errors=errors,
                    transactional=tx,
                    content_type=content_type,
                    params=params_of(path),
                    other_responses=dict(other_responses or {}),
                    if_match=if_match,
                )
            )
            return handler

        return register

    def operation(
        self,
        op: Operation,
        *,
        summary: str,
        tag: str,
        response: type[Any] | None,
        errors: tuple[int, ...],
    ) -> Handler:
        """Declare the route of a write the socket offers too (``server.operations``):
        its method, path, role, body and status are the operation's."""
        param = op.param

        async def handler(call: Call, tx: Tx) -> Any:
            return await op.run(tx, call.params[param] if param else None, call.body)

        handler.__name__ = handler.__qualname__ = op.handler_name
        return self.route(
            op.method,
            op.path,
            role=op.role,
            summary=summary,
            tag=tag,
            body=op.body,
            response=response,
            status=op.status,
            errors=errors,
        )(handler)

    def mount(self, path: str, app: ASGIApp) -> None:
        """Serve ``path/...`` with ``app`` (static files: see ``server.http.assets``)."""
        self.mounts.append(MountSpec(path, app))

    def include(self, other: Api) -> None:
        self.routes.extend(other.routes)
        self.mounts.extend(other.mounts)

    def starlette_routes(self, runtime: Callable[[], Runtime]) -> list[BaseRoute]:
        """Starlette routes; ``runtime`` gives the Runtime the lifespan built."""
        by_path: dict[str, dict[str, RouteSpec]] = {}
        for spec in self.routes:
            by_path.setdefault(spec.path, {})[spec.method] = spec
        routes: list[BaseRoute] = [
            StarletteRoute(path, _endpoint(runtime, methods), methods=list(methods))
            for path, methods in by_path.items()
        ]
        return routes + [Mount(m.path, app=m.app) for m in self.mounts]


def _endpoint(
    runtime: Callable[[], Runtime], specs: dict[str, RouteSpec]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        spec = specs[request.method if request.method != "HEAD" else "GET"]
        request.scope.setdefault("state", {})["route"] = spec.path
        return await _handle(runtime(), spec, request)

    return endpoint


async def authenticate(rt: Runtime, request: Request, *, write: bool = False) -> Context:
    """The caller's context from the bearer token. The request also passes its user's
    write (``write``) or read rate limit, in the same Redis round trip as the revocation
    check."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("A bearer access token is required")
    claims = decode_access_token(rt.settings, token.strip())
    ctx = Context(
        tenant_id=claims.tid,
        user_id=claims.sub,
        role=claims.role,
        request_id=request_id(request),
        token_id=claims.jti,
        token_expires_at=claims.exp,
        family_id=claims.fam,
    )
    check = rt.limiter.check_write if write else rt.limiter.check_read
    await rt.revocations.judge(claims, await check(ctx, also=rt.revocations.keys(claims)))
    return ctx


def client_address(request: Request) -> str:
    """The caller's address: the peer, or the X-Forwarded-For of a trusted proxy
    (uvicorn rewrites it per ``BOOKING_FORWARDED_ALLOW_IPS``)."""
    return request.client.host if request.client else "unknown"


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise errors.PayloadTooLarge(f"Bodies are limited to {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.PayloadTooLarge(f"Bodies are limited to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _params(spec: RouteSpec, request: Request) -> dict[str, UUID]:
    return {name: parse_id(name, request.path_params[name]) for name in spec.params}


def _query(spec: RouteSpec, request: Request) -> Any:
    if spec.query is None:
        return None
    raw: dict[str, Any] = {}
    query: Any = spec.query  # a Struct class, hashable
    lists = _list_fields(query)
    for key, value in request.query_params.multi_items():
        if key in lists:
            raw.setdefault(key, []).extend(v for v in value.split(",") if v)
        else:
            raw[key] = value
    # Lax conversion reads numbers and booleans from text, and would also read a number
    # as a Unix time (``to=0.5``): times must be RFC 3339 text, as the schema says.
    times = [
        {"field": key, "message": "Expected an RFC 3339 time with an offset"}
        for key in _time_fields(spec.query)
        if isinstance(raw.get(key), str) and not _RFC3339.match(raw[key])
    ]
    if not times:
        return convert(raw, spec.query, strict=False)
    bad = {error["field"] for error in times}
    try:
        convert({k: v for k, v in raw.items() if k not in bad}, spec.query, strict=False)
    except errors.ValidationFailed as exc:
        times += [e for e in exc.extras["errors"] if e["field"] not in bad]
    raise errors.ValidationFailed(times)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


@functools.cache
def _list_fields(cls: type[msgspec.Struct]) -> frozenset[str]:
    names = set()
    for info in msgspec.structs.fields(cls):
        if "list[" in str(info.type) or "List[" in str(info.type):
            names.add(info.encode_name)
    return frozenset(names)


def _time_fields(cls: type[Any]) -> frozenset[str]:
    return frozenset(
        info.encode_name for info in msgspec.structs.fields(cls) if "datetime" in str(info.type)
    )


async def _handle(rt: Runtime, spec: RouteSpec, request: Request) -> Response:
    ctx = None
    if spec.role is not None:
        ctx = await authenticate(rt, request, write=spec.method in WRITE_METHODS)
        TENANT.set(str(ctx.tenant_id))
        USER.set(str(ctx.user_id) if ctx.user_id else None)
        require_role(ctx, spec.role)
    params = _params(spec, request)
    query = _query(spec, request)
    raw = b""
    body = None
    if spec.method in WRITE_METHODS:
        raw = await read_body(request, rt.settings.max_body_bytes)
        if spec.body is not None:
            body = decode_json(raw, spec.body)
    call = Call(request, rt, ctx, body, query, params)
    if spec.if_match:
        call.if_match = parse_if_match(request.headers.get("if-match"))
    if not spec.transactional:
        return _render(spec, await spec.handler(call))
    assert ctx is not None
    key = request.headers.get("idempotency-key")
    if key is None:
        result = await rt.db.run(ctx, lambda tx: spec.handler(call, tx))
        return _render(spec, result)
    status, payload = await idempotency.run_once(
        rt.db,
        ctx,
        key=key,
        fingerprint=request_fingerprint(spec.method, spec.path, params, body, raw),
        work=lambda tx: spec.handler(call, tx),
        render=lambda result: encode_answer(spec.status, result),
    )
    return raw_response(status, payload, etag=_etag(payload) if status < 300 else None)


def parse_if_match(header: str | None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``, or ``3``) as a version; 422 when malformed."""
    if header is None:
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise errors.ValidationFailed.field("If-Match", 'expected a quoted version, e.g. "3"')
    return int(text)


class _Versioned(msgspec.Struct):
    version: int | None = None


def _etag(payload: bytes) -> str | None:
    """The ETag of an encoded answer: its entity's ``version``, as ``_render`` gives it."""
    try:
        version = msgspec.json.decode(payload, type=_Versioned).version
    except msgspec.ValidationError:  # not an object: a list, or no body
        return None
    return None if version is None else f'"{version}"'


def _render(spec: RouteSpec, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status, payload = encode_answer(spec.status, result)
    if status == 204:
        return Response(status_code=204)
    headers = None
    version = getattr(result, "version", None)
    if isinstance(version, int):
        # What If-Match compares against: an entity with a version answers with its ETag.
        headers = {"ETag": f'"{version}"'}
    return Response(payload, status_code=status, media_type=spec.content_type, headers=headers)


def raw_response(status: int, payload: bytes, *, etag: str | None = None) -> Response:
    if status == 204:
        return Response(status_code=204)
    media = "application/problem+json" if status >= 400 else "application/json"
    headers = {"ETag": etag} if etag is not None else None
    return Response(payload, status_code=status, media_type=media, headers=headers)
