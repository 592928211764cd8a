"""Shared steps of the scheduling tests: holds, time off and events through HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from server.db import Context, Database, Tx
from tests.server.bookings.common import World


async def hold(
    w: World,
    start: str,
    end: str,
    *,
    headers: dict[str, str] | None = None,
    expect: int | None = 201,
    **extra: Any,
) -> httpx.Response:
    body = {"resource_id": w.resource["id"], "start": start, "end": end, **extra}
    response = await w.client.post("/v1/holds", json=body, headers=headers or w.member)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def time_off(
    w: World, start: str, end: str, *, expect: int | None = 201, **extra: Any
) -> httpx.Response:
    response = await w.client.post(
        f"/v1/resources/{w.resource['id']}/time-off",
        json={"start": start, "end": end, **extra},
        headers=w.manager,
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def events(w: World, since: int = 0) -> list[dict[str, Any]]:
    response = await w.client.get(f"/v1/events?since={since}&limit=1000", headers=w.viewer)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


async def head(w: World) -> int:
    response = await w.client.get("/v1/events?since=0&limit=1", headers=w.viewer)
    return int(response.json()["seq"])


async def expire_soon(db: Database, w: World, hold_id: str, seconds: float) -> None:
    """Move a hold's expiry to ``seconds`` from now (tests cannot wait a minute)."""

    async def move(tx: Tx) -> None:
        await tx.execute(
            "UPDATE holds SET expires_at = clock_timestamp() + make_interval(secs => $3)"
            " WHERE tenant_id = $1 AND id = $2",
            tx.tenant_id,
            UUID(hold_id),
            seconds,
        )

    await db.run(Context(tenant_id=UUID(w.tenant.id)), move)


async def overlaps(db: Database, tenant_id: str) -> list[Any]:
    """Pairs of blocking bookings, live holds and time off of one resource that overlap."""

    async def check(tx: Tx) -> list[Any]:
        return await tx.fetch(
            "WITH blocks AS ("
            " SELECT 'b' AS kind, id, resource_id, period FROM bookings WHERE tenant_id = $1"
            "  AND app_blocking(status)"
            " UNION ALL SELECT 'h', id, resource_id, period FROM holds WHERE tenant_id = $1"
            "  AND released_at IS NULL AND expires_at > clock_timestamp()"
            " UNION ALL SELECT 't', id, resource_id, period FROM time_off WHERE tenant_id = $1)"
            " SELECT a.id, b.id FROM blocks a JOIN blocks b ON a.resource_id = b.resource_id"
            " AND a.id < b.id AND a.period && b.period AND (a.kind, b.kind) <> ('t', 't')",
            UUID(tenant_id),
        )

    return await db.read(Context(tenant_id=UUID(tenant_id)), check)
