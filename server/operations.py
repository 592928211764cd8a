"""Writes users ask for, each declared once for both faces: HTTP route and socket RPC.

An ``Operation`` states its least role, the Struct its body decodes to, the path its
HTTP route answers on (whose one parameter, if any, names the entity it acts on) and what
it runs in the tenant's transaction. Every operation is a write, so on both faces it
passes the caller's write rate limit (``BOOKING_RATE_LIMIT_WRITE``) and takes an
idempotency key (``Idempotency-Key`` over HTTP, ``idempotency_key`` on the socket) kept
in the one key table of ``server.idempotency``, fingerprinted the same way: a retry
replays the first answer whichever face it comes through. ``server.http.api`` turns an
operation into a route; ``realtime.operations`` into a socket event.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from server import errors
from server.auth.tokens import role_at_least
from server.db import Context, Tx
from server.idempotency import service as idempotency
from server.schemas import encoder

# What an operation runs: (tx, the id its path names or None, the decoded body or None).
Run = Callable[[Tx, Any, Any], Awaitable[Any]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True, slots=True)
class Operation:
    """One write: ``name`` is ``<entity>.<verb>`` (``booking.approve``), the socket's
    name for it and the label of its metrics."""

    name: str
    method: str
    path: str
    role: str
    body: type[Any] | None
    run: Run
    status: int = 200

    def __post_init__(self) -> None:
        assert self.method in WRITE_METHODS, self
        assert len(_PARAM.findall(self.path)) <= 1, self

    @property
    def param(self) -> str | None:
        """The path parameter naming the entity acted on (``booking_id``), if any."""
        found = _PARAM.findall(self.path)
        return found[0] if found else None

    @property
    def handler_name(self) -> str:
        """``booking.approve`` → ``approve_booking``: the route handler's name (and so
        its OpenAPI operationId)."""
        entity, verb = self.name.split(".")
        return f"{verb}_{entity}"


def params_of(path: str) -> tuple[str, ...]:
    """The ``{name}`` parameters of a route path, in order."""
    return tuple(_PARAM.findall(path))


def require_role(ctx: Context, role: str) -> None:
    if not role_at_least(ctx.role, role):
        raise errors.Forbidden(f"This needs the {role} role or above")


def parse_id(name: str, raw: str) -> UUID:
    """A path parameter (or the socket's ``id``): not a UUID is an unknown entity, 404."""
    try:
        return UUID(raw)
    except ValueError:
        raise errors.NotFound(f"No such {name.removesuffix('_id')}") from None


def request_fingerprint(
    method: str, path: str, params: dict[str, UUID], body: Any, raw: bytes = b""
) -> bytes:
    """What an idempotency key is bound to, the same whichever face sent the request: the
    method, the route's path with its ids (canonical UUID text) and the decoded body
    (``raw`` for a route without one), so key order and whitespace make no other request."""
    concrete = _PARAM.sub(lambda m: str(params[m.group(1)]), path)
    return idempotency.fingerprint(method, concrete, raw if body is None else encoder.encode(body))


def encode_answer(status: int, result: Any) -> tuple[int, bytes]:
    """A handler's result as the (status, JSON body) an idempotency key stores: None is
    204 with no body."""
    if result is None:
        return 204, b""
    return status, encoder.encode(result)
