import httpx

from server.config import Settings
from server.db import Database
from server.seed import seed_demo


async def test_demo_seed_is_idempotent_and_logs_in(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    db = await Database.connect(settings, min_size=1)
    try:
        first = await seed_demo(db, settings, "Demo-Password-1!")
        again = await seed_demo(db, settings, "Demo-Password-1!")
    finally:
        await db.close()
    assert first.created and not again.created
    for role, email in first.emails.items():
        response = await client.post(
            "/v1/auth/login",
            json={"tenant": "demo", "email": email, "password": "Demo-Password-1!"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["user"]["role"] == role
    token = response.json()["access_token"]
    resources = await client.get("/v1/resources", headers={"Authorization": f"Bearer {token}"})
    assert len(resources.json()["items"]) == 6
