"""Hold and series RPCs over the socket: the HTTP routes' steps, in their order.

Role check, id (not a UUID → 404, as a path segment), body decoding with the route's
Struct, write rate limit, then one transaction running the service: the answers, errors
included, are those of ``POST /v1/holds``, ``POST /v1/holds/{id}/confirm``,
``DELETE /v1/holds/{id}`` and ``POST /v1/series``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from realtime.bookings import CheckWrite
from realtime.schemas import HoldIn
from server import errors
from server.auth.tokens import role_at_least
from server.db import Context, Database
from server.holds import service as holds
from server.holds.schemas import HoldConfirm, HoldCreate
from server.schemas import convert
from server.series import service as series
from server.series.schemas import SeriesCreate

# The least role of each route these RPCs stand for (a test keeps them equal).
ROLES = {"hold.create": "member", "hold.confirm": "member", "hold.release": "member",
         "series.create": "member"}  # fmt: skip


def _require(ctx: Context, name: str) -> None:
    role = ROLES[name]
    if not role_at_least(ctx.role, role):
        raise errors.Forbidden(f"This needs the {role} role or above")


def _plain(value: Any) -> dict[str, Any]:
    plain = msgspec.to_builtins(value)
    assert isinstance(plain, dict)
    return plain


def _hold_id(payload: HoldIn) -> UUID:
    try:
        return UUID(payload.id)
    except ValueError:
        raise errors.NotFound("No such hold") from None


class ServiceSchedulingRpc:
    """``SchedulingRpc`` over ``server.holds.service`` and ``server.series.service``."""

    def __init__(self, db: Database, check_write: CheckWrite) -> None:
        self.db = db
        self.check_write = check_write

    async def create_hold(self, ctx: Context, payload: Any) -> dict[str, Any]:
        _require(ctx, "hold.create")
        body = convert(payload, HoldCreate)
        await self.check_write(ctx)
        return _plain(await self.db.run(ctx, lambda tx: holds.create_hold(tx, body)))

    async def confirm_hold(self, ctx: Context, payload: HoldIn) -> dict[str, Any]:
        _require(ctx, "hold.confirm")
        hold_id = _hold_id(payload)
        body = convert(payload.body(), HoldConfirm)
        await self.check_write(ctx)
        return _plain(await self.db.run(ctx, lambda tx: holds.confirm_hold(tx, hold_id, body)))

    async def release_hold(self, ctx: Context, payload: HoldIn) -> None:
        _require(ctx, "hold.release")
        hold_id = _hold_id(payload)
        if payload.body():
            raise errors.ValidationFailed.field("body", "hold.release takes only `id`")
        await self.check_write(ctx)
        await self.db.run(ctx, lambda tx: holds.release_hold(tx, hold_id))

    async def create_series(self, ctx: Context, payload: Any) -> dict[str, Any]:
        _require(ctx, "series.create")
        body = convert(payload, SeriesCreate)
        await self.check_write(ctx)
        return _plain(await self.db.run(ctx, lambda tx: series.create_series(tx, body)))
