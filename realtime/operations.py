"""Booking, hold and series writes over the socket: the operations the HTTP routes are
made of (``server.operations``), run with the HTTP steps in their order.

Role, id (not a UUID → 404, as a path segment), body (the route's Struct), the write rate
limit, then one transaction; with ``idempotency_key`` in the payload the transaction
claims the key in the table ``Idempotency-Key`` uses, fingerprinted as HTTP fingerprints
the same request, so a retry on either face gets the first answer again. Every answer,
errors and replays included, is HTTP's (problem bodies without ``request_id``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from server import errors
from server.bookings import operations as bookings
from server.db import Context, Database
from server.holds import operations as holds
from server.idempotency import service as idempotency
from server.metrics import record_booking_outcome
from server.operations import (
    Operation,
    encode_answer,
    parse_id,
    request_fingerprint,
    require_role,
)
from server.schemas import convert
from server.series import operations as series

CheckWrite = Callable[[Context], Awaitable[object]]
# The payload field carrying the idempotency key (HTTP: the ``Idempotency-Key`` header).
IDEMPOTENCY_FIELD = "idempotency_key"
# The longest ``id`` looked at, as a path segment would be.
MAX_ID_LENGTH = 100


@dataclass(frozen=True, slots=True)
class WriteEvent:
    """A client event: the operation it runs (by its ``action`` for
    ``booking.transition``) and the ack field its answer goes in."""

    operations: dict[str, Operation]
    answer: str
    by_action: bool = False


EVENTS = {
    "booking.create": WriteEvent({"": bookings.CREATE}, "booking"),
    "booking.transition": WriteEvent(bookings.TRANSITIONS, "booking", by_action=True),
    "hold.create": WriteEvent({"": holds.CREATE}, "hold"),
    "hold.confirm": WriteEvent({"": holds.CONFIRM}, "booking"),
    "hold.release": WriteEvent({"": holds.RELEASE}, "hold"),
    "series.create": WriteEvent({"": series.CREATE}, "series"),
}


@dataclass(frozen=True, slots=True)
class Answer:
    """What HTTP answered or would answer: the status and its body as JSON values (None
    for 204; a problem body, without ``request_id``, from 400 up)."""

    status: int
    body: Any


class OperationRpc:
    """Runs the operation a client event names; built by the composition root."""

    def __init__(self, db: Database, check_write: CheckWrite) -> None:
        self.db = db
        self.check_write = check_write

    async def call(self, ctx: Context, event: str, payload: Any) -> Answer:
        fields = _fields(payload)
        key = fields.pop(IDEMPOTENCY_FIELD, None)
        op, raw_id = _envelope(event, EVENTS[event], fields)
        require_role(ctx, op.role)
        target: UUID | None = None
        params: dict[str, UUID] = {}
        if op.param is not None:
            assert raw_id is not None
            target = params[op.param] = parse_id(op.param, raw_id)
        if op.body is not None:
            body = convert(fields, op.body)
        elif fields:
            raise errors.ValidationFailed.field("body", f"{event} takes only `id`")
        else:
            body = None
        await self.check_write(ctx)
        try:
            if key is None:
                result = await self.db.run(ctx, lambda tx: op.run(tx, target, body))
                status, payload_bytes = encode_answer(op.status, result)
            else:
                status, payload_bytes = await idempotency.run_once(
                    self.db,
                    ctx,
                    key=key,
                    field=IDEMPOTENCY_FIELD,
                    fingerprint=request_fingerprint(op.method, op.path, params, body),
                    work=lambda tx: op.run(tx, target, body),
                    render=lambda result: encode_answer(op.status, result),
                )
        except errors.AppError as err:
            _record(op, err.status, err.code)
            raise
        answer = _answer(status, payload_bytes)
        _record(op, status, answer.body.get("code") if status >= 400 else None)
        return answer


def _fields(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise errors.ValidationFailed.field("body", "Expected one JSON object")
    return dict(payload)


def _envelope(name: str, event: WriteEvent, fields: dict[str, Any]) -> tuple[Operation, str | None]:
    """The operation and the raw ``id``, taken out of ``fields`` (what is left is the
    body); a bad ``action`` and a bad ``id`` are reported together."""
    problems: list[dict[str, str]] = []
    op = event.operations.get("")
    if event.by_action:
        action = fields.pop("action", None)
        op = event.operations.get(action) if isinstance(action, str) else None
        if op is None:
            choices = ", ".join(f"'{a}'" for a in event.operations)
            problems.append({"field": "action", "message": f"Expected one of {choices}"})
    raw_id = None
    if op is None or op.param is not None:
        raw_id = fields.pop("id", None)
        if not isinstance(raw_id, str) or len(raw_id) > MAX_ID_LENGTH:
            message = f"Expected a string of at most {MAX_ID_LENGTH} characters"
            problems.append({"field": "id", "message": message})
    if problems:
        raise errors.ValidationFailed(problems)
    assert op is not None
    return op, raw_id


def _answer(status: int, payload: bytes) -> Answer:
    body = msgspec.json.decode(payload) if payload else None
    if status >= 400 and isinstance(body, dict):
        body.pop("request_id", None)
    return Answer(status, body)


def _record(op: Operation, status: int, code: str | None) -> None:
    if op.name.startswith("booking."):
        record_booking_outcome(f"socket:{op.name}", status, code)
