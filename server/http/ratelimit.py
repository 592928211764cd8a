"""Rate limits on Redis with the ``limits`` library: one atomic round trip per check."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from server.config import Settings
from server.db import Context
from server.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)


class Limiter:
    """Login limits fail closed when Redis is down; write limits fail open with a log line."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage = RedisStorage(redis_url, implementation="redispy")
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

    async def check_write(self, ctx: Context) -> None:
        if not self.enabled:
            return
        try:
            await self._hit(self.write, "write", str(ctx.tenant_id), str(ctx.user_id))
        except RateLimited:
            raise
        except Exception:
            log.warning("write rate limit unavailable; letting the request through")
