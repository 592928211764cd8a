"""What socket RPCs need from the booking core, injected by the composition root."""

from __future__ import annotations

from typing import Any, Protocol

from realtime.schemas import HoldIn, TransitionIn
from server.db import Context


class BookingRpc(Protocol):
    """Runs booking writes with the same services, validation and errors as HTTP.

    Both methods return the booking after the change as plain JSON values, and raise
    ``AppError`` (rendered by the gateway into the same problem body HTTP answers with).
    """

    async def create(self, ctx: Context, payload: Any) -> dict[str, Any]: ...

    async def transition(self, ctx: Context, payload: TransitionIn) -> dict[str, Any]: ...


class SchedulingRpc(Protocol):
    """Holds and series over the socket, with the HTTP routes' services and errors; each
    returns the entity after the change as plain JSON values (None for a release)."""

    async def create_hold(self, ctx: Context, payload: Any) -> dict[str, Any]: ...

    async def confirm_hold(self, ctx: Context, payload: HoldIn) -> dict[str, Any]: ...

    async def release_hold(self, ctx: Context, payload: HoldIn) -> None: ...

    async def create_series(self, ctx: Context, payload: Any) -> dict[str, Any]: ...
