"""What socket RPCs need from the booking core, injected by the composition root."""

from __future__ import annotations

from typing import Any, Protocol

from realtime.schemas import TransitionIn
from server.db import Context


class BookingRpc(Protocol):
    """Runs booking writes with the same services, validation and errors as HTTP.

    Both methods return the booking after the change as plain JSON values, and raise
    ``AppError`` (rendered by the gateway into the same problem body HTTP answers with).
    """

    async def create(self, ctx: Context, payload: Any) -> dict[str, Any]: ...

    async def transition(self, ctx: Context, payload: TransitionIn) -> dict[str, Any]: ...
