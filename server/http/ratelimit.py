"""Rate limits on Redis: login limits with the ``limits`` library, the write limit with a
script of its own that can read one more key in the same round trip (the revocation
check of the request's token), so an authenticated write costs one Redis round trip.
Both are moving windows: at most N hits in any window of the period."""

from __future__ import annotations

import logging
import math
import os
import time

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from server.config import Settings
from server.db import Context
from server.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)

# KEYS[1]: the caller's hit times (sorted set), KEYS[2]: a key to read as well.
# ARGV: period (ms), limit, a unique member. Answers {allowed, retry after (ms), KEYS[2]}.
WRITE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local also = redis.call('GET', KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= limit then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(first[2]) + period - now, also}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], period)
return {1, 0, also}
"""


class Limiter:
    """Login limits fail closed when Redis is down; write limits fail open with a log line."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage = RedisStorage(redis_url, implementation="redispy")
        self.redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.write_script = self.redis.register_script(WRITE_SCRIPT)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.login = parse(settings.rate_limit_login)
        self.login_ip = parse(settings.rate_limit_login_ip)
        self.write = parse(settings.rate_limit_write)

    async def _hit(self, item: RateLimitItem, *keys: str) -> None:
        if await self.strategy.hit(item, *keys):
            return
        stats = await self.strategy.get_window_stats(item, *keys)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(retry)

    async def check_login(self, tenant: str, email: str, client: str) -> None:
        if not self.enabled:
            return
        try:
            await self._hit(self.login_ip, "login-ip", client)
            await self._hit(self.login, "login", tenant, email.lower())
        except RateLimited:
            raise
        except Exception:
            log.warning("login rate limit unavailable; refusing login", exc_info=True)
            raise Unavailable("Login is unavailable; try again shortly") from None

    async def check_write(self, ctx: Context, *, also: str | None = None) -> bytes | None:
        """429 past the write limit of ``ctx``'s user; returns the value of the key
        ``also`` read in the same round trip (None when unset, or Redis is down: writes
        then go through, logged)."""
        # The limit is part of the key: processes with another limit count apart.
        key = f"booking:rl:write:{self.write}:{ctx.tenant_id}:{ctx.user_id}"
        period_ms = self.write.get_expiry() * 1000
        member = os.urandom(8).hex()
        try:
            if not self.enabled:
                found = await self.redis.get(also) if also else None
                return found if isinstance(found, bytes) else None
            allowed, retry_ms, value = await self.write_script(
                keys=[key, also or key + ":none"], args=[period_ms, self.write.amount, member]
            )
        except Exception:
            log.warning("write rate limit unavailable; letting the request through")
            return None
        if not allowed:
            raise RateLimited(max(1, math.ceil(int(retry_ms) / 1000)))
        return value if isinstance(value, bytes) else None

    async def close(self) -> None:
        await self.redis.aclose()
