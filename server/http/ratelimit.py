"""Rate limits on Redis with the ``limits`` library: one atomic round trip per check.

Every check is bounded by ``BOOKING_REDIS_TIMEOUT`` (socket and connect timeouts, and an
overall deadline): a Redis that accepts connections but never answers costs a request at
most that long. Checks guarding expensive or security-relevant work (login, signup,
password reset) then fail closed with 503; the others (writes, reads, refresh) fail open.
"""

from __future__ import annotations

import asyncio
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
    """Per-user limits on writes and reads; per-address and per-account limits on auth."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.enabled = settings.rate_limit_enabled
        self.timeout = settings.redis_timeout
        self.storage = RedisStorage(
            redis_url,
            implementation="redispy",
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
        )
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

    async def _open(self, what: str, item: RateLimitItem, *keys: str) -> None:
        """Apply one limit; Redis unreachable → let the request through (logged)."""
        if not self.enabled:
            return
        try:
            await self._hit(item, *keys)
        except RateLimited:
            raise
        except Exception:
            log.warning("%s rate limit unavailable; letting the request through", what)

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
        await self._open("refresh", self.refresh, "refresh-ip", client)

    async def check_write(self, ctx: Context) -> None:
        await self._open("write", self.write, "write", str(ctx.tenant_id), str(ctx.user_id))

    async def check_read(self, ctx: Context) -> None:
        await self._open("read", self.read, "read", str(ctx.tenant_id), str(ctx.user_id))
