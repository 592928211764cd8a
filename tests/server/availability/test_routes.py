"""GET /v1/availability over HTTP.

Tests that need resources or bookings make them through ``POST /v1/resources`` and
``POST /v1/bookings``; until those routes are registered they are skipped.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.app import build_api
from tests.factories import Tenant, signup

ROUTES = {(spec.method, spec.path) for spec in build_api().routes}
needs_resources = pytest.mark.skipif(
    ("POST", "/v1/resources") not in ROUTES,
    reason="needs POST /v1/resources (built in parallel)",
)
needs_resources_and_bookings = pytest.mark.skipif(
    not {("POST", "/v1/resources"), ("POST", "/v1/bookings")} <= ROUTES,
    reason="needs POST /v1/resources and POST /v1/bookings (built in parallel)",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def create_resource(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> str:
    payload = {"name": "Room", "kind": "room", **body}
    response = await client.post("/v1/resources", json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def book(
    client: httpx.AsyncClient, tenant: Tenant, resource_id: str, start: str, end: str, **body: Any
) -> dict[str, Any]:
    payload = {"resource_id": resource_id, "start": start, "end": end, **body}
    response = await client.post("/v1/bookings", json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def availability(
    client: httpx.AsyncClient, tenant: Tenant, resource_id: str, start: str, end: str
) -> httpx.Response:
    return await client.get(
        "/v1/availability",
        params={"resource_id": resource_id, "from": start, "to": end},
        headers=tenant.headers,
    )


def hours(periods: list[dict[str, Any]]) -> list[float]:
    return [
        (datetime.fromisoformat(p["end"]) - datetime.fromisoformat(p["start"])).total_seconds()
        / 3600
        for p in periods
    ]


@needs_resources
@pytest.mark.parametrize(
    ("day", "start_utc", "end_utc"),
    [
        ("2026-03-29", "2026-03-29T07:00:00Z", "2026-03-29T15:00:00Z"),
        ("2026-10-25", "2026-10-25T08:00:00Z", "2026-10-25T16:00:00Z"),
    ],
)
async def test_dst_change_days_in_berlin(
    client: httpx.AsyncClient, day: str, start_utc: str, end_utc: str
) -> None:
    tenant = await signup(client)
    template = {d: [["09:00", "17:00"]] for d in WEEKDAYS}
    resource = await create_resource(
        client, tenant, timezone="Europe/Berlin", working_hours=template
    )
    response = await availability(
        client, tenant, resource, f"{day}T00:00:00+00:00", f"{day}T23:00:00+00:00"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "resource_id": resource,
        "free": [{"start": start_utc, "end": end_utc}],
        "busy": [],
    }
    assert hours(body["free"]) == [8.0]


@needs_resources
async def test_whole_day_template_on_fall_back_day_is_25_hours(
    client: httpx.AsyncClient,
) -> None:
    tenant = await signup(client)
    resource = await create_resource(
        client, tenant, timezone="Europe/Berlin", working_hours={"sun": [["00:00", "24:00"]]}
    )
    response = await availability(
        client, tenant, resource, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"
    )
    assert response.json()["free"] == [
        {"start": "2026-10-24T22:00:00Z", "end": "2026-10-25T23:00:00Z"}
    ]


@needs_resources_and_bookings
async def test_bookings_are_subtracted_back_to_back(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    resource = await create_resource(
        client, tenant, timezone="UTC", working_hours={"mon": [["09:00", "17:00"]]}
    )
    first = await book(client, tenant, resource, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z")
    second = await book(
        client, tenant, resource, "2026-01-05T12:00:00+01:00", "2026-01-05T12:00:00Z"
    )
    late = await book(
        client, tenant, resource, "2026-01-05T16:30:00Z", "2026-01-05T18:00:00Z", status="pending"
    )
    cancelled = await book(client, tenant, resource, "2026-01-05T13:00:00Z", "2026-01-05T14:00:00Z")
    cancel = await client.post(
        f"/v1/bookings/{cancelled['id']}/cancel", json={}, headers=tenant.headers
    )
    assert cancel.status_code == 200, cancel.text
    response = await availability(
        client, tenant, resource, "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"
    )
    body = response.json()
    assert body["free"] == [
        {"start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z"},
        {"start": "2026-01-05T12:00:00Z", "end": "2026-01-05T16:30:00Z"},
    ]
    assert body["busy"] == [
        {
            "start": "2026-01-05T10:00:00Z",
            "end": "2026-01-05T11:00:00Z",
            "booking_id": first["id"],
            "status": "confirmed",
        },
        {
            "start": "2026-01-05T11:00:00Z",
            "end": "2026-01-05T12:00:00Z",
            "booking_id": second["id"],
            "status": "confirmed",
        },
        {
            "start": "2026-01-05T16:30:00Z",
            "end": "2026-01-05T18:00:00Z",
            "booking_id": late["id"],
            "status": "pending",
        },
    ]


@needs_resources_and_bookings
async def test_no_working_hours_is_always_available_clipped_to_window(
    client: httpx.AsyncClient,
) -> None:
    tenant = await signup(client)
    resource = await create_resource(client, tenant)
    booking = await book(client, tenant, resource, "2026-02-01T08:00:00Z", "2026-02-01T10:00:00Z")
    response = await availability(
        client, tenant, resource, "2026-02-01T09:00:00+01:00", "2026-02-01T12:00:00+01:00"
    )
    body = response.json()
    assert body["free"] == [{"start": "2026-02-01T10:00:00Z", "end": "2026-02-01T11:00:00Z"}]
    # A busy entry is the whole booking, even where it reaches outside the window.
    assert [(b["booking_id"], b["start"], b["end"]) for b in body["busy"]] == [
        (booking["id"], "2026-02-01T08:00:00Z", "2026-02-01T10:00:00Z")
    ]


@needs_resources
async def test_another_tenants_resource_is_not_found(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    resource = await create_resource(client, owner)
    response = await availability(
        client, other, resource, "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_unknown_resource_is_not_found(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await availability(
        client, tenant, str(uuid.uuid4()), "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "code", "fields"),
    [
        (
            {"from": "2026-02-01T00:00:00", "to": "2026-02-02T00:00:00Z"},
            "validation_error",
            {"from"},
        ),
        ({"from": "yesterday", "to": "soon"}, "validation_error", {"from", "to"}),
        ({"to": "2026-02-02T00:00:00Z"}, "validation_error", {"from"}),
        ({"from": "2026-02-02T00:00:00Z", "to": "2026-02-02T00:00:00Z"}, "invalid_period", None),
        ({"from": "2026-02-02T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "invalid_period", None),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-04-04T00:00:01Z"}, "invalid_period", None),
        # Local days near datetime's limits cannot be built: refused, never a 500.
        (
            {"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"},
            "validation_error",
            {"from", "to"},
        ),
        (
            {"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T00:00:00Z"},
            "validation_error",
            {"from", "to"},
        ),
    ],
)
async def test_bad_windows_are_422(
    client: httpx.AsyncClient, params: dict[str, str], code: str, fields: set[str] | None
) -> None:
    tenant = await signup(client)
    response = await client.get(
        "/v1/availability",
        params={"resource_id": str(uuid.uuid4()), **params},
        headers=tenant.headers,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    if fields is not None:
        assert {e["field"] for e in body["errors"]} == fields


async def test_window_of_93_days_is_allowed(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    response = await availability(
        client,
        tenant,
        str(uuid.uuid4()),
        start.isoformat(),
        (start + timedelta(days=93)).isoformat(),
    )
    assert response.status_code == 404


async def test_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/availability",
        params={
            "resource_id": str(uuid.uuid4()),
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-01-02T00:00:00Z",
        },
    )
    assert response.status_code == 401
