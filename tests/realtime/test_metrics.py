"""``booking_sockets_connected`` follows sockets connecting and leaving."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.factories import signup
from tests.realtime.conftest import Client, LiveServer, connect, eventually


def connected() -> float:
    return REGISTRY.get_sample_value("booking_sockets_connected") or 0.0


async def test_the_gauge_counts_open_sockets(live: LiveServer, clients: list[Client]) -> None:
    tenant = await signup(live.http)
    before = connected()
    clients.append(await connect(live.url, tenant.token))
    clients.append(await connect(live.url, tenant.token))
    await eventually(lambda: connected() == before + 2)
    await clients[0].close()
    await eventually(lambda: connected() == before + 1)
