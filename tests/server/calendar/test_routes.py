"""GET /v1/resources/{resource_id}/calendar.ics over HTTP.

Tests that need resources and bookings go through ``POST /v1/resources`` and
``POST /v1/bookings``; until those routes are registered they are skipped.
"""

import uuid

import httpx
import pytest

from server.app import build_api
from tests.factories import signup
from tests.server.availability.test_routes import book, create_resource
from tests.server.calendar.ical import parse, unescape

ROUTES = {(spec.method, spec.path) for spec in build_api().routes}
needs_resources_and_bookings = pytest.mark.skipif(
    not {("POST", "/v1/resources"), ("POST", "/v1/bookings")} <= ROUTES,
    reason="needs POST /v1/resources and POST /v1/bookings (built in parallel)",
)


@needs_resources_and_bookings
async def test_calendar_lists_blocking_bookings(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    resource = await create_resource(client, tenant, name="Room 1, east")
    confirmed = await book(
        client,
        tenant,
        resource,
        "2026-03-29T09:00:00+02:00",
        "2026-03-29T10:30:00+02:00",
        title="Planning; Q2, draft \\ v2 " + "long " * 20,
    )
    pending = await book(
        client, tenant, resource, "2026-03-30T09:00:00Z", "2026-03-30T10:00:00Z", status="pending"
    )
    cancelled = await book(client, tenant, resource, "2026-03-31T09:00:00Z", "2026-03-31T10:00:00Z")
    cancel = await client.post(
        f"/v1/bookings/{cancelled['id']}/cancel", json={}, headers=tenant.headers
    )
    assert cancel.status_code == 200, cancel.text
    response = await client.get(
        f"/v1/resources/{resource}/calendar.ics",
        params={"from": "2026-03-01T00:00:00Z", "to": "2026-04-30T00:00:00Z"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar, events = parse(response.content.decode())
    assert calendar["VERSION"] == "2.0"
    assert unescape(calendar["X-WR-CALNAME"]) == "Room 1, east"
    assert [e["UID"] for e in events] == [f"{confirmed['id']}@booking", f"{pending['id']}@booking"]
    assert events[0]["DTSTART"] == "20260329T070000Z"
    assert events[0]["DTEND"] == "20260329T083000Z"
    assert unescape(events[0]["SUMMARY"]) == confirmed["title"]
    assert events[0]["STATUS"] == "CONFIRMED"
    assert events[0]["SEQUENCE"] == str(confirmed["version"])
    assert events[1]["STATUS"] == "TENTATIVE"
    assert events[1]["SUMMARY"] == f"Booking #{pending['number']}"


@needs_resources_and_bookings
async def test_calendar_window_and_tenant_isolation(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    resource = await create_resource(client, owner)
    await book(client, owner, resource, "2026-05-01T09:00:00Z", "2026-05-01T10:00:00Z")
    response = await client.get(
        f"/v1/resources/{resource}/calendar.ics",
        params={"from": "2026-05-01T10:00:00Z"},
        headers=owner.headers,
    )
    assert parse(response.text)[1] == []
    response = await client.get(f"/v1/resources/{resource}/calendar.ics", headers=other.headers)
    assert response.status_code == 404


async def test_unknown_resource_and_bad_window(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    url = f"/v1/resources/{uuid.uuid4()}/calendar.ics"
    response = await client.get(url, headers=tenant.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = await client.get("/v1/resources/not-a-uuid/calendar.ics", headers=tenant.headers)
    assert response.status_code == 404
    response = await client.get(
        url,
        params={"from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_period"
    response = await client.get(url, params={"from": "2026-05-02T00:00:00"}, headers=tenant.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert (await client.get(url)).status_code == 401
