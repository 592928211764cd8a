"""Test data for the browser tests, made through the real HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import Tenant, auth


def today(hour: float) -> datetime:
    """``hour`` o'clock today (UTC, the browser contexts' zone): always in this week."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(hours=hour)


async def resource(http: httpx.AsyncClient, tenant: Tenant, name: str, **extra: Any) -> str:
    body = {"name": name, "kind": "room", **extra}
    response = await http.post("/v1/resources", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    rid: str = response.json()["id"]
    return rid


async def book(
    http: httpx.AsyncClient,
    token: str,
    resource_id: str,
    start: float,
    hours: float = 1,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "resource_id": resource_id,
        "start": today(start).isoformat(),
        "end": today(start + hours).isoformat(),
        "title": extra.pop("title", f"Booking at {start}"),
        **extra,
    }
    response = await http.post("/v1/bookings", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


async def head(http: httpx.AsyncClient, tenant: Tenant) -> int:
    """The tenant's latest seq (from a schedule snapshot: works after events are pruned)."""
    window = {"from": today(0).isoformat(), "to": today(1).isoformat()}
    response = await http.get("/v1/schedule", params=window, headers=tenant.headers)
    assert response.status_code == 200, response.text
    seq: int = response.json()["seq"]
    return seq
