"""Booking RPCs over the socket: the HTTP routes' steps, in their order, on the same services.

Role check, path id, body decoding with the route's Struct, write rate limit, then one
transaction running the service; so every answer, error or not, matches HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import msgspec

from realtime.schemas import TransitionIn
from server import errors
from server.auth.tokens import role_at_least
from server.bookings import service, transitions
from server.bookings.schemas import AssignBody, BookingCreate, TransitionBody
from server.db import Context, Database
from server.metrics import record_booking_outcome
from server.schemas import convert

CheckWrite = Callable[[Context], Awaitable[object]]

CREATE_ROLE = "member"
# The least role of each POST /v1/bookings/{id}/<action> route (a test keeps them equal).
TRANSITION_ROLES = {
    "approve": "manager",
    "reject": "manager",
    "cancel": "member",
    "complete": "manager",
    "assign": "manager",
}


def _require(ctx: Context, role: str) -> None:
    if not role_at_least(ctx.role, role):
        raise errors.Forbidden(f"This needs the {role} role or above")


def _plain(value: Any) -> dict[str, Any]:
    plain = msgspec.to_builtins(value)
    assert isinstance(plain, dict)
    return plain


class ServiceBookingRpc:
    """``BookingRpc`` over ``server.bookings.service``."""

    def __init__(self, db: Database, check_write: CheckWrite) -> None:
        self.db = db
        self.check_write = check_write

    async def create(self, ctx: Context, payload: Any) -> dict[str, Any]:
        _require(ctx, CREATE_ROLE)
        body = convert(payload, BookingCreate)
        await self.check_write(ctx)
        try:
            booking = await self.db.run(ctx, lambda tx: service.create_booking(tx, body))
        except errors.AppError as err:
            record_booking_outcome("socket:booking.create", err.status, err.code)
            raise
        record_booking_outcome("socket:booking.create", 201, None)
        return _plain(booking)

    async def transition(self, ctx: Context, payload: TransitionIn) -> dict[str, Any]:
        action = payload.action
        _require(ctx, TRANSITION_ROLES[action])
        try:
            booking_id = UUID(payload.id)
        except ValueError:
            raise errors.NotFound("No such booking") from None
        if action == "assign":
            assign = convert(payload.body(), AssignBody)
            reason, resource_id = assign.reason, assign.resource_id
        else:
            reason, resource_id = convert(payload.body(), TransitionBody).reason, None
        await self.check_write(ctx)
        route = f"socket:booking.{action}"
        try:
            booking = await self.db.run(
                ctx,
                lambda tx: transitions.act(
                    tx, booking_id, action, reason=reason, resource_id=resource_id
                ),
            )
        except errors.AppError as err:
            record_booking_outcome(route, err.status, err.code)
            raise
        record_booking_outcome(route, 200, None)
        return _plain(booking)
