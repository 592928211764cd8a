"""The hold writes users ask for on both faces (HTTP and socket), each declared once."""

from __future__ import annotations

from uuid import UUID

from server.bookings.schemas import BookingOut
from server.db import Tx
from server.holds import service
from server.holds.schemas import HoldConfirm, HoldCreate, HoldOut
from server.operations import Operation


async def _create(tx: Tx, _: None, body: HoldCreate) -> HoldOut:
    return await service.create_hold(tx, body)


async def _confirm(tx: Tx, hold_id: UUID, body: HoldConfirm) -> BookingOut:
    return await service.confirm_hold(tx, hold_id, body)


async def _release(tx: Tx, hold_id: UUID, _: None) -> None:
    await service.release_hold(tx, hold_id)


CREATE = Operation(
    name="hold.create",
    method="POST",
    path="/v1/holds",
    role="member",
    body=HoldCreate,
    run=_create,
    status=201,
)
CONFIRM = Operation(
    name="hold.confirm",
    method="POST",
    path="/v1/holds/{hold_id}/confirm",
    role="member",
    body=HoldConfirm,
    run=_confirm,
    status=201,
)
RELEASE = Operation(
    name="hold.release",
    method="DELETE",
    path="/v1/holds/{hold_id}",
    role="member",
    body=None,
    run=_release,
    status=204,
)
