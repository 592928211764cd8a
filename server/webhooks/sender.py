"""One POST of one event to one webhook: signed, time-boxed, redirects not followed.

The body is the event's socket payload; ``X-Booking-Signature`` is ``sha256=`` and the hex
HMAC-SHA256 of exactly those bytes with the webhook's secret. Only a short excerpt of the
answer is read and kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from server.webhooks import targets

EXCERPT_BYTES = 1024
USER_AGENT = "booking-server-webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: a status (None when no answer) and a short excerpt or error."""

    status: int | None
    excerpt: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signature(secret: str, body: bytes) -> str:
    """The ``X-Booking-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def client() -> aiohttp.ClientSession:
    """The shared client of a dispatcher: no proxies from the environment, no cookies, no
    name resolution of its own (it connects to addresses ``targets`` checked)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, use_dns_cache=False),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
    )


def _pinned(target: targets.Target) -> tuple[str, dict[str, str], str | None]:
    """The url with its host replaced by the checked address, the Host header, and TLS's
    server name, so the connection goes where the check looked."""
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    default = 443 if target.scheme == "https" else 80
    netloc = host if target.port == default else f"{host}:{target.port}"
    url = urlunsplit(parts._replace(netloc=netloc))
    name = f"[{target.host}]" if ":" in target.host else target.host
    host_header = name if target.port == default else f"{name}:{target.port}"
    server_name = target.host if target.scheme == "https" else None
    return url, {"Host": host_header}, server_name


def _clean(text: str) -> str:
    return text.replace("\x00", "\ufffd")


async def post(
    http: aiohttp.ClientSession,
    *,
    url: str,
    secret: str,
    body: bytes,
    event_type: str,
    delivery_id: str,
    time_limit: float,
    allow_private: bool,
) -> Outcome:
    """Send once; never raises for a network or HTTP failure (the Outcome says)."""
    try:
        target = await targets.check(url, allow_private=allow_private)
    except targets.TargetRefused as exc:
        return Outcome(status=None, excerpt=None, error=f"refused: {exc}")
    pinned_url, headers, server_name = _pinned(target)
    headers |= {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Booking-Event": event_type,
        "X-Booking-Delivery": delivery_id,
        "X-Booking-Signature": signature(secret, body),
    }
    try:
        async with (
            asyncio.timeout(time_limit),
            http.post(
                pinned_url,
                data=body,
                headers=headers,
                allow_redirects=False,
                server_hostname=server_name,
            ) as response,
        ):
            excerpt = b""
            while len(excerpt) < EXCERPT_BYTES:
                chunk = await response.content.read(EXCERPT_BYTES - len(excerpt))
                if not chunk:
                    break
                excerpt += chunk
            status = response.status
    except TimeoutError:
        return Outcome(status=None, excerpt=None, error=f"no answer within {time_limit:g} s")
    except (aiohttp.ClientError, OSError) as exc:
        return Outcome(status=None, excerpt=None, error=_clean(f"{type(exc).__name__}: {exc}"))
    text = excerpt.decode("utf-8", errors="replace")
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(status=status, excerpt=_clean(text)[:EXCERPT_BYTES], error=error)
