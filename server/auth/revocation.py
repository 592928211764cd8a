"""Access tokens issued before a user's deactivation or role change stop working at once.

Access tokens are stateless JWTs; without this a deactivated or demoted user would keep
their old token until it expires. Revoking stores "not before <now>" for the user in
Redis for one token lifetime; every authenticated request compares its token's ``iat``.
Redis being down lets requests through (logged): the token still expires on time.
"""

from __future__ import annotations

import logging
import time
from uuid import UUID

from redis.asyncio import Redis

from server.auth.tokens import Claims
from server.errors import Unauthorized

log = logging.getLogger(__name__)


def _key(tenant_id: UUID, user_id: UUID) -> str:
    return f"booking:auth:not-before:{tenant_id}:{user_id}"


class Revocations:
    def __init__(self, redis: Redis, token_ttl: int) -> None:
        self.redis = redis
        self.ttl = token_ttl + 60

    async def revoke(self, tenant_id: UUID, user_id: UUID) -> None:
        """Refuse this user's access tokens issued before now."""
        await self.redis.set(_key(tenant_id, user_id), int(time.time()), ex=self.ttl)

    async def check(self, claims: Claims) -> None:
        try:
            value = await self.redis.get(self.key(claims))
        except Exception:
            log.warning("token revocation list unavailable; accepting the token")
            return
        self.judge(claims, value)

    def key(self, claims: Claims) -> str:
        """The Redis key ``check`` reads (a caller may read it in a round trip of its own)."""
        return _key(claims.tid, claims.sub)

    def judge(self, claims: Claims, value: bytes | str | None) -> None:
        """401 when ``value`` (the key's content) revokes the token."""
        if value is not None and claims.iat < int(value):
            raise Unauthorized("This access token was revoked; log in or refresh")
