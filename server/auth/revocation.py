"""Ending access tokens before they expire: per user ("valid after") and per token (logout).

Access tokens are stateless JWTs. A user's deactivation, role change or password reset
sets ``users.tokens_valid_after`` in PostgreSQL, in the transaction of the change, so it
can never be lost; Redis caches the value for ``BOOKING_REVOCATION_CACHE_SECONDS``.
A logout ends its own token by id in Redis (until the token's expiry).

Each authenticated request costs one Redis round trip — both keys are read by the rate
limit's script (``keys`` and ``judge``), or by one ``MGET`` (``check``) — and a
PostgreSQL read only when the user's value is not cached. With Redis unreachable the
user's value is read from PostgreSQL instead and only logged-out tokens slip through
(they still expire on time).
"""

from __future__ import annotations

import asyncio
import logging
import time
from uuid import UUID

from redis.asyncio import Redis

from server.auth import queries
from server.auth.tokens import Claims
from server.db import Context, Database
from server.errors import Unauthorized

log = logging.getLogger(__name__)

# Cache a value only if it is newer than the cached one: a request that read PostgreSQL
# before a revocation committed must not put the older value back.
_STORE_NEWER = """
local current = redis.call('GET', KEYS[1])
if current == false or tonumber(current) < tonumber(ARGV[1]) then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


def valid_after_key(tenant_id: UUID, user_id: UUID) -> str:
    return f"booking:auth:valid-after:{tenant_id}:{user_id}"


def ended_key(token_id: str) -> str:
    return f"booking:auth:ended:{token_id}"


def _revoked() -> Unauthorized:
    return Unauthorized("This access token was revoked; log in or refresh")


class Revocations:
    def __init__(self, redis: Redis, db: Database, *, timeout: float, cache_seconds: int) -> None:
        self.redis = redis
        self.db = db
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._store_newer = redis.register_script(_STORE_NEWER)

    def keys(self, claims: Claims) -> list[str]:
        """The Redis keys ``judge`` needs (a caller may read them in a round trip of its own)."""
        return [valid_after_key(claims.tid, claims.sub), ended_key(claims.jti)]

    async def check(self, claims: Claims) -> None:
        """401 when the token was logged out or issued before its user's cut-off."""
        values: list[bytes | None] | None
        try:
            async with asyncio.timeout(self.timeout):
                values = list(await self.redis.mget(self.keys(claims)))
        except Exception:
            values = None
        await self.judge(claims, values)

    async def judge(self, claims: Claims, values: list[bytes | None] | None) -> None:
        """401 when the values of ``keys`` (None: Redis unreachable) revoke the token."""
        cached, ended = values if values is not None else (None, None)
        if values is None:
            log.warning("token revocation cache unavailable; reading PostgreSQL")
        if ended is not None:
            raise _revoked()
        if cached is not None:
            valid_after = float(cached)
        else:
            valid_after = await self._load(claims.tid, claims.sub)
            if values is not None:
                await self._store(valid_after_key(claims.tid, claims.sub), valid_after)
        if claims.iat < valid_after:
            raise _revoked()

    async def reload(self, tenant_id: UUID, user_id: UUID) -> None:
        """After a commit that ended the user's tokens: cache the new cut-off at once."""
        await self._store(valid_after_key(tenant_id, user_id), await self._load(tenant_id, user_id))

    async def end_token(self, ctx: Context) -> bool:
        """End the access token that authenticated ``ctx``; False when Redis failed."""
        if ctx.token_id is None or ctx.token_expires_at is None:
            return True
        ttl = max(1, ctx.token_expires_at - int(time.time()) + 1)
        try:
            async with asyncio.timeout(self.timeout):
                await self.redis.set(ended_key(ctx.token_id), 1, ex=ttl)
        except Exception:
            log.warning("could not record a logged-out access token in Redis", exc_info=True)
            return False
        return True

    async def _load(self, tenant_id: UUID, user_id: UUID) -> float:
        return await self.db.read(
            Context(tenant_id=tenant_id), lambda tx: queries.tokens_valid_after(tx, user_id)
        )

    async def _store(self, key: str, valid_after: float) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await self._store_newer(keys=[key], args=[repr(valid_after), self.cache_seconds])
        except Exception:
            log.warning("could not cache a token cut-off in Redis")
