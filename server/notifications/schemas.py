from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from server.notifications.rules import EMAIL
from server.schemas import Out, Schema

_KINDS = "; ".join(f"`{kind}`: {rule.description}" for kind, rule in EMAIL.items())


class NotificationPreferences(Schema):
    email: Annotated[
        dict[str, bool],
        Meta(description=f"Each kind of mail switched on (true) or off (false). {_KINDS}"),
    ]


class NotificationPreferencesOut(Out):
    email: Annotated[
        dict[str, bool],
        Meta(description="Every kind of lifecycle mail and whether the caller gets it"),
    ]
