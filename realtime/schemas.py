"""Socket payloads: what clients send with ``sync``, ``reauth`` and ``booking.transition``."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.schemas import Id, Out, Reason, Schema

TransitionAction = Literal["approve", "reject", "cancel", "complete", "assign"]


class SyncIn(Schema):
    since: Annotated[int, msgspec.Meta(ge=0)]


class ReauthIn(Schema):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class TransitionIn(Schema):
    """``booking.transition``: the action of ``POST /v1/bookings/{id}/<action>``."""

    id: Id
    action: TransitionAction
    reason: Reason | None = None
    resource_id: Id | None = None


class Heartbeat(Out):
    seq: int
