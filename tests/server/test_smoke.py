import httpx

from tests.factories import signup


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_signup_returns_tokens(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    assert tenant.body["token_type"] == "bearer"
    assert tenant.body["user"]["role"] == "admin"
    assert tenant.refresh_token.startswith("rt_")
