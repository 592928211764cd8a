"""Socket payloads: what clients send with ``sync``, ``reauth`` and ``booking.transition``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from server.schemas import Out, Schema

TransitionAction = Literal["approve", "reject", "cancel", "complete", "assign"]


class SyncIn(Schema):
    since: Annotated[int, msgspec.Meta(ge=0)]


class ReauthIn(Schema):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class TransitionIn(Schema):
    """``booking.transition``: ``POST /v1/bookings/{id}/<action>`` as one message.

    ``id`` is checked like the path segment (not a UUID → 404), and ``reason`` /
    ``resource_id`` form the body that HTTP route decodes, with its Struct.
    """

    id: Annotated[str, msgspec.Meta(max_length=100)]
    action: TransitionAction
    reason: Any | msgspec.UnsetType = msgspec.UNSET
    resource_id: Any | msgspec.UnsetType = msgspec.UNSET

    def body(self) -> dict[str, Any]:
        fields = {"reason": self.reason, "resource_id": self.resource_id}
        return {k: v for k, v in fields.items() if v is not msgspec.UNSET}


class HoldIn(Schema):
    """``hold.confirm`` / ``hold.release``: the hold's ``id`` (checked like the path
    segment: not a UUID → 404) and, for confirm, the fields of its HTTP body."""

    id: Annotated[str, msgspec.Meta(max_length=100)]
    project_id: Any | msgspec.UnsetType = msgspec.UNSET
    title: Any | msgspec.UnsetType = msgspec.UNSET
    note: Any | msgspec.UnsetType = msgspec.UNSET
    status: Any | msgspec.UnsetType = msgspec.UNSET

    def body(self) -> dict[str, Any]:
        fields = {"project_id": self.project_id, "title": self.title, "note": self.note,
                  "status": self.status}  # fmt: skip
        return {k: v for k, v in fields.items() if v is not msgspec.UNSET}


class Heartbeat(Out):
    seq: int
