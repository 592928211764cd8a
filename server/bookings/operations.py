"""The booking writes users ask for on both faces (HTTP and socket): create and the
transitions of ``transitions.ACTIONS`` that have a role, each declared once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.bookings import service, transitions
from server.bookings.schemas import AssignBody, BookingCreate, BookingOut, TransitionBody
from server.db import Tx
from server.operations import Operation


async def _create(tx: Tx, _: None, body: BookingCreate) -> BookingOut:
    return await service.create_booking(tx, body)


def _transition(action: str) -> Operation:
    role = transitions.ACTIONS[action].role
    assert role is not None

    async def run(tx: Tx, booking_id: UUID, body: Any) -> BookingOut:
        resource_id = body.resource_id if isinstance(body, AssignBody) else None
        return await transitions.act(
            tx, booking_id, action, reason=body.reason, resource_id=resource_id
        )

    return Operation(
        name=f"booking.{action}",
        method="POST",
        path=f"/v1/bookings/{{booking_id}}/{action}",
        role=role,
        body=AssignBody if transitions.ACTIONS[action].moves else TransitionBody,
        run=run,
    )


CREATE = Operation(
    name="booking.create",
    method="POST",
    path="/v1/bookings",
    role="member",
    body=BookingCreate,
    run=_create,
    status=201,
)
# What a user may ask of a booking (the workflow's own transitions have no role).
TRANSITIONS = {
    action: _transition(action)
    for action, spec in transitions.ACTIONS.items()
    if spec.role is not None
}
