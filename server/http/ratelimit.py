"""Rate limits on Redis: per-address and per-account limits with the ``limits`` library,
the per-user read and write limits with a script of their own that also reads the
request's token keys (its user's cut-off and its own id) in the same round trip, so an
authenticated request costs one Redis round trip. All are moving windows: at most N hits
in any window of the period.

Every call is bounded by ``BOOKING_REDIS_TIMEOUT`` (socket and connect timeouts, and an
overall deadline): a Redis that accepts connections but never answers costs a request at
most that long. Checks guarding expensive or security-relevant work (login, signup,
password reset) then fail closed with 503; the others (writes, reads, refresh) fail open.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from server.config import Settings
from server.db import Context
from server.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)

# KEYS[1]: the caller's hit times (sorted set), KEYS[2..]: keys to read as well.
# ARGV: period (ms), limit (0: count nothing), a unique member.
# Answers {allowed, retry after (ms), KEYS[2], KEYS[3], ...}.
USER_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local answer = {1, 0}
for i = 2, #KEYS do
    answer[i + 1] = redis.call('GET', KEYS[i])
end
if limit == 0 then
    return answer
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= limit then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    answer[1] = 0
    answer[2] = tonumber(first[2]) + period - now
    return answer
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], period)
return answer
"""


def _value(found: Any) -> bytes | None:
    # Lua turns a missing key (nil) into false, and a table ends at its first nil.
    return found if isinstance(found, bytes) else None


class Limiter:
    """Per-user limits on writes and reads; per-address and per-account limits on auth."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.enabled = settings.rate_limit_enabled
        self.timeout = settings.redis_timeout
        options: dict[str, Any] = {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.timeout,
        }
        self.storage = RedisStorage(redis_url, implementation="redispy", **options)
        self.redis = Redis.from_url(redis_url, **options)
        self.user_script = self.redis.register_script(USER_SCRIPT)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.login = parse(settings.rate_limit_login)
        self.login_ip = parse(settings.rate_limit_login_ip)
        self.signup = parse(settings.rate_limit_signup)
        self.refresh = parse(settings.rate_limit_refresh)
        self.password_reset = parse(settings.rate_limit_password_reset)
        self.write = parse(settings.rate_limit_write)
        self.read = parse(settings.rate_limit_read)

    async def _hit(self, item: RateLimitItem, *keys: str) -> None:
        async with asyncio.timeout(self.timeout):
            if await self.strategy.hit(item, *keys):
                return
            stats = await self.strategy.get_window_stats(item, *keys)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(retry)

    async def _closed(self, what: str, *hits: tuple[RateLimitItem, tuple[str, ...]]) -> None:
        """Apply ``hits`` in order; Redis unreachable → 503."""
        if not self.enabled:
            return
        try:
            for item, keys in hits:
                await self._hit(item, *keys)
        except RateLimited:
            raise
        except Exception:
            log.warning("%s rate limit unavailable; refusing", what, exc_info=True)
            raise Unavailable(f"{what.capitalize()} is unavailable; try again shortly") from None

    async def check_login(self, tenant: str, email_key: str, client: str) -> None:
        """Per client address, then per account; ``email_key`` is already normalized."""
        await self._closed(
            "login",
            (self.login_ip, ("login-ip", client)),
            (self.login, ("login", tenant, email_key)),
        )

    async def check_signup(self, client: str) -> None:
        await self._closed("signup", (self.signup, ("signup-ip", client)))

    async def check_password_reset(self, client: str, tenant: str, email_key: str) -> None:
        await self._closed(
            "password reset",
            (self.login_ip, ("login-ip", client)),
            (self.password_reset, ("password-reset", tenant, email_key)),
        )

    async def check_reset_confirm(self, client: str) -> None:
        """Each confirmation hashes a password: the login bucket of the address pays."""
        await self._closed("password reset", (self.login_ip, ("login-ip", client)))

    async def check_refresh(self, client: str) -> None:
        if not self.enabled:
            return
        try:
            await self._hit(self.refresh, "refresh-ip", client)
        except RateLimited:
            raise
        except Exception:
            log.warning("refresh rate limit unavailable; letting the request through")

    async def check_write(
        self, ctx: Context, *, also: list[str] | None = None
    ) -> list[bytes | None] | None:
        """429 past the write limit of ``ctx``'s user. Returns the values of the keys
        ``also`` read in the same round trip (None when Redis is unreachable: the write
        goes through, logged)."""
        return await self._user(self.write, "write", ctx, also or [])

    async def check_read(
        self, ctx: Context, *, also: list[str] | None = None
    ) -> list[bytes | None] | None:
        """The same for reads and their own limit."""
        return await self._user(self.read, "read", ctx, also or [])

    async def _user(
        self, item: RateLimitItem, kind: str, ctx: Context, also: list[str]
    ) -> list[bytes | None] | None:
        # The limit is part of the key: processes with another limit count apart.
        key = f"booking:rl:{kind}:{item}:{ctx.tenant_id}:{ctx.user_id}"
        period_ms = item.get_expiry() * 1000
        amount = item.amount if self.enabled else 0
        try:
            async with asyncio.timeout(self.timeout):
                if not self.enabled and not also:
                    return []
                answer = await self.user_script(
                    keys=[key, *also], args=[period_ms, amount, os.urandom(8).hex()]
                )
        except Exception:
            log.warning("%s rate limit unavailable; letting the request through", kind)
            return None
        allowed, retry_ms, *values = list(answer)
        if not allowed:
            raise RateLimited(max(1, math.ceil(int(retry_ms) / 1000)))
        found = [_value(v) for v in values]
        return found + [None] * (len(also) - len(found))

    async def close(self) -> None:
        await self.redis.aclose()
