"""Business metrics, and /metrics behind a token or on a port of its own."""

from __future__ import annotations

import httpx
from prometheus_client import REGISTRY

from server.config import Settings
from tests.cli import free_port, serving
from tests.factories import client_with
from tests.server.bookings.common import at, world
from tests.workers.harness import eventually

TOKEN = "metrics-token-0123456789"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_booking_outcomes_count_created_and_each_conflict_code(
    client: httpx.AsyncClient,
) -> None:
    route = "/v1/bookings"
    created = sample("booking_booking_outcomes_total", route=route, outcome="201")
    conflicts = sample("booking_booking_outcomes_total", route=route, outcome="booking_conflict")
    w = await world(client)
    await w.book(at("09:00"), at("10:00"))
    await w.book(at("09:30"), at("10:30"), expect=409)
    assert sample("booking_booking_outcomes_total", route=route, outcome="201") == created + 1
    assert (
        sample("booking_booking_outcomes_total", route=route, outcome="booking_conflict")
        == conflicts + 1
    )
    # Failures other than conflicts are not business outcomes.
    await w.book(at("11:00"), at("10:00"), expect=422)
    assert sample("booking_booking_outcomes_total", route=route, outcome="422") == 0


async def test_relay_lag_is_observed_when_an_event_is_emitted(client: httpx.AsyncClient) -> None:
    before = sample("booking_relay_lag_seconds_count")
    w = await world(client)
    await w.book(at("12:00"), at("13:00"))

    async def emitted() -> bool:
        return sample("booking_relay_lag_seconds_count") > before

    assert await eventually(emitted, within=15)
    assert REGISTRY.get_sample_value("booking_sockets_connected") is not None


async def test_metrics_behind_a_token(settings: Settings) -> None:
    async with client_with(settings, metrics_token=TOKEN) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "unauthorized"
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "booking_booking_outcomes_total" in right.text


def test_metrics_on_their_own_port(settings: Settings) -> None:
    metrics_port = free_port()
    with serving(
        BOOKING_DATABASE_URL=settings.require_database_url(),
        BOOKING_REDIS_URL=settings.require_redis_url(),
        BOOKING_JWT_SECRET=settings.require_jwt_secret(),
        BOOKING_METRICS_PORT=str(metrics_port),
    ) as (base, _):
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert httpx.get(f"{base}/metrics").status_code == 404
        own = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert own.status_code == 200
        assert 'booking_http_requests_total{method="GET",route="/readyz",status="200"}' in own.text
        assert "booking_sockets_connected 0.0" in own.text
