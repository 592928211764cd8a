import httpx

from server.config import Settings
from tests.factories import client_with, signup

DASHBOARD = "https://dashboard.example"


async def test_preflight_allows_the_api_headers(settings: Settings) -> None:
    async with client_with(settings, cors_origins=DASHBOARD) as client:
        response = await client.options(
            "/v1/bookings",
            headers={
                "Origin": DASHBOARD,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key, content-type",
            },
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "idempotency-key", "if-match", "content-type"):
        assert header in allowed


async def test_responses_expose_request_id_to_allowed_origins_only(settings: Settings) -> None:
    async with client_with(settings, cors_origins=DASHBOARD) as client:
        tenant = await signup(client)
        ours = await client.get("/v1/me", headers={**tenant.headers, "Origin": DASHBOARD})
        other = await client.get(
            "/v1/me", headers={**tenant.headers, "Origin": "https://evil.example"}
        )
    assert ours.headers["access-control-allow-origin"] == DASHBOARD
    assert "x-request-id" in ours.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


async def test_any_origin_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Origin": "https://anywhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
