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
from realtime.operations import EVENTS, OperationRpc
from realtime.schemas import ReauthIn, SyncIn
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
        self.rpc: OperationRpc | None = None
        self.check_token: CheckToken | None = None
        self._in_flight: dict[str, int] = {}
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("sync", self.on_sync)
        sio.on("reauth", self.on_reauth)
        for name in EVENTS:
            sio.on(name, self._operation_handler(name))
        sio.on("*", self.on_unknown)

    def bind(
        self,
        db: Database,
        rpc: OperationRpc | None,
        check_token: CheckToken | None = None,
    ) -> None:
        self.db = db
        self.rpc = rpc
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

    def _operation_handler(self, name: str) -> Callable[..., Awaitable[Ack]]:
        """The handler of a write event: ``{"ok": true, <answer>: ...}`` or
        ``{"ok": false, "error": <problem>}``, whether fresh or replayed by its key."""
        answer = EVENTS[name].answer

        async def work(session: SocketSession, ctx: Context, payload: Any) -> Any:
            if self.rpc is None:
                raise errors.Unavailable("Write RPCs are not available on this server")
            return await self.rpc.call(ctx, name, _object(payload))

        async def handler(sid: str, *args: Any) -> Ack:
            ok, value = await self._answer(sid, args, work)
            if ok and value.status >= 400:
                return {"ok": False, "error": value.body}
            return _rpc_ack(ok, value.body if ok else value, key=answer)

        return handler

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
