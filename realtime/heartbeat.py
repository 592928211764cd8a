"""Per-process ticker: heartbeats to local tenant rooms, and ending sockets that lost access.

Each process heartbeats only the tenants with sockets on it (``ignore_queue``: nothing
crosses Redis), with the tenant's committed head from the database, so a client notices
a missed event even when the relay or Redis lost it. The same tick disconnects sockets
whose token expired without ``reauth`` and sockets of users deactivated since they
connected, and gives the other sockets their user's current role (one query per tenant
with local sockets).
"""

from __future__ import annotations

import asyncio
import logging
import time
from uuid import UUID

import msgspec
import socketio

from realtime import queries
from realtime.background import Background
from realtime.schemas import Heartbeat
from realtime.sessions import Sessions, tenant_room
from server.db import Context, Database

log = logging.getLogger(__name__)


class Ticker:
    """Runs ``tick`` every ``interval`` seconds until stopped."""

    def __init__(
        self, sio: socketio.AsyncServer, db: Database, sessions: Sessions, interval: float
    ) -> None:
        self.sio = sio
        self.db = db
        self.sessions = sessions
        self.interval = interval
        self._loop = Background("realtime-heartbeat", self._run)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("realtime heartbeat tick failed", exc_info=True)

    async def tick(self) -> None:
        tenants = self.sessions.tenants()
        if not tenants:
            return
        await self._disconnect(self.sessions.expired(time.time()))
        heads = await self.db.read(None, queries.event_heads)
        for tenant_id in tenants:
            beat = msgspec.to_builtins(Heartbeat(seq=heads.get(tenant_id, 0)))
            await self.sio.emit("heartbeat", beat, room=tenant_room(tenant_id), ignore_queue=True)
        for tenant_id in tenants:
            await self._disconnect(await self._refresh_users(tenant_id))

    async def _refresh_users(self, tenant_id: UUID) -> list[str]:
        """Sockets of users deactivated since they connected (to disconnect); the others
        take their user's current role, so a demotion reaches socket RPC within a beat."""
        users = self.sessions.users_of(tenant_id)
        if not users:
            return []
        found = await self.db.read(
            Context(tenant_id=tenant_id), lambda tx: queries.active_users(tx, list(users))
        )
        gone: list[str] = []
        for user_id, sids in users.items():
            user = found.get(user_id)
            for sid in sids:
                session = self.sessions.get(sid)
                if session is None:
                    continue
                if user is None:
                    gone.append(sid)
                else:
                    session.role = user.role
        return gone

    async def _disconnect(self, sids: list[str]) -> None:
        for sid in sids:
            self.sessions.remove(sid)
            await self.sio.disconnect(sid, ignore_queue=True)
