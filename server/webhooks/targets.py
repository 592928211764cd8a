"""Where a webhook may point: http(s) only, and never at this machine or its networks.

A url is checked when it is registered and again at every send, against the addresses its
host resolves to then; the send connects to the address that was checked, so a name that
resolves elsewhere between the check and the connection (DNS rebinding) gains nothing.
``BOOKING_WEBHOOK_ALLOW_PRIVATE=1`` lifts the address rule (local receivers, tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT = 5.0


class TargetRefused(Exception):
    """The url may not be used; the message says why (shown to the admin as-is)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A url split for sending: the address to connect to and the names TLS and HTTP need."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def parse(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an absolute http(s) url, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid url ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must be an http or https url")
    if not parts.hostname:
        raise TargetRefused("must name a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry credentials; the signature authenticates us")
    if parts.fragment:
        raise TargetRefused("must not have a fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def forbidden(address: IpAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved or otherwise not public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden(address.ipv4_mapped)
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except (OSError, TimeoutError):
        raise TargetRefused(f"host {host!r} does not resolve") from None
    found: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise TargetRefused(f"host {host!r} does not resolve")
    return found


async def check(url: str, *, allow_private: bool) -> Target:
    """The url's target, resolved now; TargetRefused when any address is not allowed."""
    scheme, host, port = parse(url)
    addresses = await resolve(host, port)
    if not allow_private:
        for address in addresses:
            if forbidden(address):
                raise TargetRefused(
                    f"must not point at a loopback, private or link-local address ({address})"
                )
    return Target(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))
