import uuid

import httpx
import pytest

from tests.factories import add_user, signup


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "http:///no-host",
        "https://user:pw@203.0.113.9/hook",
        "http://no-such-host.invalid/hook",
    ],
)
async def test_refused_targets_are_422_on_url(client: httpx.AsyncClient, url: str) -> None:
    tenant = await signup(client)
    response = await client.post(
        "/v1/webhooks", json={"url": url, "events": ["*"]}, headers=tenant.headers
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == ["url"]


async def test_a_public_address_is_accepted(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.post(
        "/v1/webhooks",
        json={"url": "https://93.184.215.14/hooks/booking", "events": ["booking.created"]},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def test_register_list_delete(local_client: httpx.AsyncClient) -> None:
    client = local_client
    tenant = await signup(client)
    created = await client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["booking.created", "booking.created"]},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert set(hook) == {"id", "url", "events", "secret", "created_at"}
    assert hook["events"] == ["booking.created"]
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 30

    listed = await client.get("/v1/webhooks", headers=tenant.headers)
    assert listed.status_code == 200
    assert [h["id"] for h in listed.json()["items"]] == [hook["id"]]
    assert listed.json()["next_cursor"] is None
    assert "secret" not in listed.json()["items"][0]

    deliveries = await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    assert (deliveries.status_code, deliveries.json()) == (200, [])

    other = await signup(client)
    assert (
        await client.delete(f"/v1/webhooks/{hook['id']}", headers=other.headers)
    ).status_code == 404
    gone = await client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant.headers)
    assert gone.status_code == 204
    empty = await client.get("/v1/webhooks", headers=tenant.headers)
    assert empty.json() == {"items": [], "next_cursor": None}
    again = await client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant.headers)
    assert again.status_code == 404
    missing = await client.get(f"/v1/webhooks/{uuid.uuid4()}/deliveries", headers=tenant.headers)
    assert missing.status_code == 404


async def test_only_admins_manage_webhooks(local_client: httpx.AsyncClient) -> None:
    tenant = await signup(local_client)
    _, manager = await add_user(local_client, tenant, "manager")
    headers = {"Authorization": f"Bearer {manager}"}
    body = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    assert (await local_client.post("/v1/webhooks", json=body, headers=headers)).status_code == 403
    assert (await local_client.get("/v1/webhooks", headers=headers)).status_code == 403


async def test_bad_events_name_each_field(local_client: httpx.AsyncClient) -> None:
    tenant = await signup(local_client)
    response = await local_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["booking.created", "nope", "x.y"]},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["events.1", "events.2"]
    star = await local_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["*", "booking.created"]},
        headers=tenant.headers,
    )
    assert star.status_code == 422
    empty = await local_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": []},
        headers=tenant.headers,
    )
    assert empty.status_code == 422


async def test_idempotency_key_replays_the_creation(local_client: httpx.AsyncClient) -> None:
    tenant = await signup(local_client)
    headers = {**tenant.headers, "Idempotency-Key": "hook-1"}
    body = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    first = await local_client.post("/v1/webhooks", json=body, headers=headers)
    again = await local_client.post("/v1/webhooks", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    listed = await local_client.get("/v1/webhooks", headers=tenant.headers)
    assert len(listed.json()["items"]) == 1


async def test_the_list_is_keyset_paginated(local_client: httpx.AsyncClient) -> None:
    tenant = await signup(local_client)
    made = []
    for n in range(3):
        body = {"url": f"http://127.0.0.1:9/hook{n}", "events": ["*"]}
        response = await local_client.post("/v1/webhooks", json=body, headers=tenant.headers)
        made.append(response.json()["id"])
    first = (await local_client.get("/v1/webhooks?limit=2", headers=tenant.headers)).json()
    assert [h["id"] for h in first["items"]] == made[:2] and first["next_cursor"]
    rest = await local_client.get(
        f"/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=tenant.headers
    )
    assert [h["id"] for h in rest.json()["items"]] == made[2:]
    assert rest.json()["next_cursor"] is None
    bad = await local_client.get("/v1/webhooks?cursor=nope", headers=tenant.headers)
    assert bad.status_code == 422


async def test_every_socket_event_type_can_be_subscribed(local_client: httpx.AsyncClient) -> None:
    tenant = await signup(local_client)
    types = ["hold.created", "hold.released", "time_off.created", "time_off.deleted"]
    response = await local_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": types},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["events"] == types
