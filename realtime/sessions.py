"""Who is behind each socket connected to this process, indexed by tenant."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from server.db import Context


def tenant_room(tenant_id: UUID) -> str:
    return f"tenant:{tenant_id}"


@dataclass(slots=True)
class SocketSession:
    """The identity a socket authenticated with; ``reauth`` renews ``expires_at``."""

    tenant_id: UUID
    user_id: UUID
    role: str
    expires_at: int
    issued_at: float = 0.0

    def context(self, request_id: str) -> Context:
        return Context(
            tenant_id=self.tenant_id, user_id=self.user_id, role=self.role, request_id=request_id
        )


class Sessions:
    """Sessions of the sockets on this process: by sid, and sids by tenant."""

    def __init__(self) -> None:
        self._by_sid: dict[str, SocketSession] = {}
        self._by_tenant: dict[UUID, set[str]] = {}

    def __len__(self) -> int:
        return len(self._by_sid)

    def add(self, sid: str, session: SocketSession) -> None:
        self.remove(sid)
        self._by_sid[sid] = session
        self._by_tenant.setdefault(session.tenant_id, set()).add(sid)

    def remove(self, sid: str) -> None:
        session = self._by_sid.pop(sid, None)
        if session is None:
            return
        sids = self._by_tenant.get(session.tenant_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self._by_tenant[session.tenant_id]

    def get(self, sid: str) -> SocketSession | None:
        return self._by_sid.get(sid)

    def sids(self) -> list[str]:
        return list(self._by_sid)

    def tenants(self) -> list[UUID]:
        """Tenants with at least one socket on this process."""
        return list(self._by_tenant)

    def users_of(self, tenant_id: UUID) -> dict[UUID, list[str]]:
        users: dict[UUID, list[str]] = {}
        for sid in self._by_tenant.get(tenant_id, ()):
            users.setdefault(self._by_sid[sid].user_id, []).append(sid)
        return users

    def expired(self, now: float) -> list[str]:
        return [sid for sid, s in self._by_sid.items() if s.expires_at <= now]
