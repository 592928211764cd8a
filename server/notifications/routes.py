from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.notifications import preferences
from server.notifications.schemas import NotificationPreferences, NotificationPreferencesOut

api = Api()


@api.route(
    "GET",
    "/v1/me/notifications",
    role="viewer",
    summary="Which kinds of lifecycle mail the caller gets",
    tag="notifications",
    response=NotificationPreferencesOut,
    errors=(401,),
)
async def get_notification_preferences(call: Call) -> NotificationPreferencesOut:
    return await call.rt.db.read(call.auth, preferences.get_preferences)


@api.route(
    "PUT",
    "/v1/me/notifications",
    role="viewer",
    summary="Switch kinds of lifecycle mail on or off (a kind left out is on)",
    tag="notifications",
    body=NotificationPreferences,
    response=NotificationPreferencesOut,
    errors=(400, 401, 413, 422),
)
async def put_notification_preferences(call: Call, tx: Tx) -> NotificationPreferencesOut:
    return await preferences.put_preferences(tx, call.body)
