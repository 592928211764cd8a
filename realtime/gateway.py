"""Socket.IO handlers: connect auth, the tenant room, ``sync``, ``reauth``, booking, hold
and series RPCs.

Every client event is answered through its acknowledgement with the same problem body
HTTP renders (without ``request_id``); nothing a client sends can change its rooms.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import socketio

from realtime import queries
from realtime.rpc import BookingRpc, SchedulingRpc
from realtime.schemas import HoldIn, ReauthIn, SyncIn, TransitionIn
from realtime.sessions import Sessions, SocketSession, tenant_room
from server import errors
from server.auth.tokens import Claims, decode_access_token
from server.config import Settings
from server.db import Context, Database
from server.events import service as events
from server.schemas import convert

log = logging.getLogger(__name__)

UNAUTHORIZED = "unauthorized"
# Acks still being computed per socket; more are refused so one socket cannot hog the pool.
MAX_IN_FLIGHT = 8

Ack = dict[str, Any]
Work = Callable[[SocketSession, Context, Any], Awaitable[Any]]
# Refuses (401) a token that was logged out or issued before its user's cut-off.
CheckToken = Callable[[Claims], Awaitable[None]]


class Gateway:
    """The handlers of one ``AsyncServer``; ``bind`` gives them the database and RPCs."""

    def __init__(self, sio: socketio.AsyncServer, settings: Settings, sessions: Sessions) -> None:
        self.sio = sio
        self.settings = settings
        self.sessions = sessions
        self.db: Database | None = None
        self.rpc: BookingRpc | None = None
        self.check_token: CheckToken | None = None
        self.scheduling: SchedulingRpc | None = None
        self._in_flight: dict[str, int] = {}
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("sync", self.on_sync)
        sio.on("reauth", self.on_reauth)
        sio.on("booking.create", self.on_booking_create)
        sio.on("booking.transition", self.on_booking_transition)
        sio.on("hold.create", self.on_hold_create)
        sio.on("hold.confirm", self.on_hold_confirm)
        sio.on("hold.release", self.on_hold_release)
        sio.on("series.create", self.on_series_create)
        sio.on("*", self.on_unknown)

    def bind(
        self,
        db: Database,
        rpc: BookingRpc | None,
        scheduling: SchedulingRpc | None = None,
        check_token: CheckToken | None = None,
    ) -> None:
        self.db = db
        self.rpc = rpc
        self.scheduling = scheduling
        self.check_token = check_token

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError(UNAUTHORIZED)
        try:
            claims = decode_access_token(self.settings, token)
        except errors.Unauthorized:
            raise socketio.exceptions.ConnectionRefusedError(UNAUTHORIZED) from None
        session = SocketSession(
            tenant_id=claims.tid,
            user_id=claims.sub,
            role=claims.role,
            expires_at=claims.exp,
        )
        try:
            active = await self._is_active(session, claims)
        except errors.Unauthorized:
            raise socketio.exceptions.ConnectionRefusedError(UNAUTHORIZED) from None
        except Exception:
            log.exception("socket connect check failed")
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
        if not active:
            raise socketio.exceptions.ConnectionRefusedError(UNAUTHORIZED)
        await self.sio.enter_room(sid, tenant_room(session.tenant_id))
        self.sessions.add(sid, session)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.sessions.remove(sid)
        self._in_flight.pop(sid, None)

    async def on_sync(self, sid: str, *args: Any) -> Ack:
        ok, value = await self._answer(sid, args, self._sync)
        return value if ok else {"error": value}

    async def on_reauth(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._reauth, check_expiry=False))

    async def on_booking_create(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._create))

    async def on_booking_transition(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._transition))

    async def on_hold_create(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._hold_create), key="hold")

    async def on_hold_confirm(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._hold_confirm))

    async def on_hold_release(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._hold_release))

    async def on_series_create(self, sid: str, *args: Any) -> Ack:
        return _rpc_ack(*await self._answer(sid, args, self._series_create), key="series")

    async def on_unknown(self, event: Any, sid: str, *args: Any) -> Ack:
        name = str(event)[:64]
        return {"ok": False, "error": errors.NotFound(f"No such event {name!r}").problem()}

    async def _answer(
        self, sid: str, args: tuple[Any, ...], work: Work, *, check_expiry: bool = True
    ) -> tuple[bool, Any]:
        """Run ``work`` for one client event: (True, result) or (False, problem body)."""
        session = self.sessions.get(sid)
        in_flight = self._in_flight.get(sid, 0)
        try:
            if session is None or (check_expiry and session.expires_at <= time.time()):
                raise errors.Unauthorized("The access token has expired; send reauth")
            if in_flight >= MAX_IN_FLIGHT:
                raise errors.RateLimited(1, "Too many requests in flight on this socket")
            self._in_flight[sid] = in_flight + 1
            try:
                payload = args[0] if len(args) == 1 else _NO_PAYLOAD
                ctx = session.context(f"sio-{uuid.uuid4().hex}")
                return True, await work(session, ctx, payload)
            finally:
                if sid in self._in_flight:
                    self._in_flight[sid] -= 1
        except errors.AppError as err:
            return False, err.problem()
        except Exception:
            log.exception("socket event failed")
            return False, errors.Internal("An unexpected error occurred").problem()

    def _database(self) -> Database:
        if self.db is None:
            raise errors.Unavailable("The realtime gateway is starting")
        return self.db

    async def _is_active(self, session: SocketSession, claims: Claims) -> bool:
        """Whether ``claims`` may act: not revoked, the user active; then the session
        takes the user's current role (never the one written in the token)."""
        if self.check_token is not None:
            await self.check_token(claims)
        ctx = Context(tenant_id=session.tenant_id)
        users = await self._database().read(
            ctx, lambda tx: queries.active_users(tx, [session.user_id])
        )
        user = users.get(session.user_id)
        if user is None or claims.iat < user.valid_after:
            return False
        session.role = user.role
        return True

    async def _sync(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        body = convert(_object(payload), SyncIn)
        limit = self.settings.sync_max_events
        page = await self._database().read(
            ctx, lambda tx: events.since(tx, since=body.since, limit=limit)
        )
        return msgspec.to_builtins(page)

    async def _reauth(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        body = convert(_object(payload), ReauthIn)
        claims = decode_access_token(self.settings, body.token)
        if claims.tid != session.tenant_id or claims.sub != session.user_id:
            raise errors.Unauthorized("The token belongs to another user")
        # Re-read as connect does: an old token must not bring back an old role.
        renewed = SocketSession(
            tenant_id=claims.tid,
            user_id=claims.sub,
            role=claims.role,
            expires_at=claims.exp,
        )
        if not await self._is_active(renewed, claims):
            raise errors.Unauthorized("The access token was revoked or the user deactivated")
        session.expires_at = renewed.expires_at
        session.role = renewed.role
        return None

    async def _create(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        return await self._booking_rpc().create(ctx, _object(payload))

    async def _transition(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        body = convert(_object(payload), TransitionIn)
        return await self._booking_rpc().transition(ctx, body)

    async def _hold_create(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        return await self._scheduling_rpc().create_hold(ctx, _object(payload))

    async def _hold_confirm(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        body = convert(_object(payload), HoldIn)
        return await self._scheduling_rpc().confirm_hold(ctx, body)

    async def _hold_release(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        body = convert(_object(payload), HoldIn)
        await self._scheduling_rpc().release_hold(ctx, body)

    async def _series_create(self, session: SocketSession, ctx: Context, payload: Any) -> Any:
        return await self._scheduling_rpc().create_series(ctx, _object(payload))

    def _scheduling_rpc(self) -> SchedulingRpc:
        if self.scheduling is None:
            raise errors.Unavailable("Scheduling RPCs are not available on this server")
        return self.scheduling

    def _booking_rpc(self) -> BookingRpc:
        if self.rpc is None:
            raise errors.Unavailable("Booking RPCs are not available on this server")
        return self.rpc


class _Missing:
    pass


_NO_PAYLOAD = _Missing()


def _object(payload: Any) -> Any:
    if isinstance(payload, _Missing):
        raise errors.ValidationFailed.field("body", "Expected one JSON object")
    return payload


def _rpc_ack(ok: bool, value: Any, *, key: str = "booking") -> Ack:
    """``{"ok": true, <key>: value}`` (just ``{"ok": true}`` when there is no value), or
    ``{"ok": false, "error": <problem>}``."""
    if not ok:
        return {"ok": False, "error": value}
    if value is None:
        return {"ok": True}
    return {"ok": True, key: value}
