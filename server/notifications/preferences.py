"""A user's mail switches: every kind in ``rules.EMAIL`` is on unless switched off."""

from __future__ import annotations

from server import errors
from server.db import Tx
from server.notifications import queries
from server.notifications.rules import EMAIL
from server.notifications.schemas import NotificationPreferences, NotificationPreferencesOut


def _complete(stored: dict[str, bool]) -> NotificationPreferencesOut:
    return NotificationPreferencesOut(email={kind: bool(stored.get(kind, True)) for kind in EMAIL})


async def get_preferences(tx: Tx) -> NotificationPreferencesOut:
    assert tx.ctx.user_id is not None
    return _complete(await queries.get_preferences(tx, tx.ctx.user_id))


async def put_preferences(tx: Tx, body: NotificationPreferences) -> NotificationPreferencesOut:
    """Replace the caller's switches; a kind left out is on again."""
    assert tx.ctx.user_id is not None
    unknown = [
        {"field": f"email.{kind}", "message": f"unknown kind; one of {', '.join(EMAIL)}"}
        for kind in body.email
        if kind not in EMAIL
    ]
    if unknown:
        raise errors.ValidationFailed(unknown)
    return _complete(await queries.put_preferences(tx, tx.ctx.user_id, body.email))
