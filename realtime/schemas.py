"""Socket payloads of ``sync``, ``reauth`` and ``heartbeat`` (the writes decode with their
routes' Structs: ``realtime.operations``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.schemas import Out, Schema


class SyncIn(Schema):
    since: Annotated[int, msgspec.Meta(ge=0)]


class ReauthIn(Schema):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class Heartbeat(Out):
    seq: int
