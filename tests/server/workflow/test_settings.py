import uuid

import asyncpg
import httpx

from tests.factories import PASSWORD, auth, signup


async def test_defaults_and_round_trip(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.get("/v1/workflow", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["approval_required"] is False
    assert body["escalate_after"] is None
    assert body["expire_after"] is None
    assert body["remind_before"] is None
    assert body["auto_complete"] is False

    update = {
        "approval_required": True,
        "escalate_after": "PT90M",
        "expire_after": "P1D",
        "remind_before": "PT30S",
        "auto_complete": True,
    }
    response = await client.put("/v1/workflow", json=update, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["escalate_after"] == "PT1H30M"
    assert body["expire_after"] == "P1D"
    assert body["remind_before"] == "PT30S"
    assert body["approval_required"] is True
    assert body["auto_complete"] is True
    assert (await client.get("/v1/workflow", headers=tenant.headers)).json() == body


FULL = {
    "approval_required": False,
    "escalate_after": None,
    "expire_after": None,
    "remind_before": None,
    "auto_complete": False,
}


async def test_put_requires_every_workflow_field_and_null_clears(
    client: httpx.AsyncClient,
) -> None:
    tenant = await signup(client)
    first = {**FULL, "escalate_after": "PT2H", "expire_after": "PT24H"}
    assert (await client.put("/v1/workflow", json=first, headers=tenant.headers)).status_code == 200
    partial = await client.put(
        "/v1/workflow", json={"escalate_after": None}, headers=tenant.headers
    )
    assert partial.status_code == 422
    missing = sorted(error["field"] for error in partial.json()["errors"])
    assert missing == ["approval_required", "auto_complete", "expire_after", "remind_before"]
    assert all(e["message"] == "Field is required" for e in partial.json()["errors"])
    empty = await client.put("/v1/workflow", json={}, headers=tenant.headers)
    assert len(empty.json()["errors"]) == 5
    response = await client.put(
        "/v1/workflow", json={**first, "escalate_after": None}, headers=tenant.headers
    )
    assert response.status_code == 200
    assert response.json()["escalate_after"] is None
    assert response.json()["expire_after"] == "P1D"
    # max_booking_days is the server's own addition: optional, kept when left out.
    more = await client.put(
        "/v1/workflow", json={**FULL, "max_booking_days": 7}, headers=tenant.headers
    )
    assert more.json()["max_booking_days"] == 7
    kept = await client.put("/v1/workflow", json=FULL, headers=tenant.headers)
    assert kept.json()["max_booking_days"] == 7


async def test_bad_durations_list_every_field(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    body = {**FULL, "escalate_after": "PT0S", "expire_after": "-PT1H", "remind_before": "soon"}
    response = await client.put("/v1/workflow", json=body, headers=tenant.headers)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    fields = sorted(error["field"] for error in problem["errors"])
    assert fields == ["escalate_after", "expire_after", "remind_before"]
    after = (await client.get("/v1/workflow", headers=tenant.headers)).json()
    assert after["escalate_after"] is None
    body["auto_complete"] = "yes"  # a type error does not hide the bad durations
    response = await client.put("/v1/workflow", json=body, headers=tenant.headers)
    assert response.status_code == 422
    fields = sorted(error["field"] for error in response.json()["errors"])
    assert fields == ["auto_complete", "escalate_after", "expire_after", "remind_before"]


async def test_wrong_types_and_unknown_fields(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    body = {**FULL, "approval_required": "yes", "nope": 1}
    response = await client.put("/v1/workflow", json=body, headers=tenant.headers)
    assert response.status_code == 422
    fields = sorted(error["field"] for error in response.json()["errors"])
    assert fields == ["approval_required", "nope"]


async def test_change_is_audited(client: httpx.AsyncClient, database_url: str) -> None:
    tenant = await signup(client)
    await client.put(
        "/v1/workflow", json={**FULL, "escalate_after": "PT1H"}, headers=tenant.headers
    )
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT action, diff::text AS diff FROM audit_log"
            " WHERE tenant_id = $1 AND entity_type = 'workflow_settings'",
            uuid.UUID(tenant.id),
        )
    finally:
        await conn.close()
    assert row is not None
    assert row["action"] == "workflow.updated"
    assert "PT1H" in row["diff"]


async def test_admin_only(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.get("/v1/workflow")
    assert response.status_code == 401
    created = await client.post(
        "/v1/users",
        json={
            "email": f"m@{tenant.slug}.test",
            "name": "Manager",
            "role": "manager",
            "password": PASSWORD,
        },
        headers=tenant.headers,
    )
    if created.status_code != 201:
        return  # the users API is not mounted yet
    login = await client.post(
        "/v1/auth/login",
        json={"tenant": tenant.slug, "email": f"m@{tenant.slug}.test", "password": PASSWORD},
    )
    token = login.json()["access_token"]
    assert (await client.get("/v1/workflow", headers=auth(token))).status_code == 403
    response = await client.put("/v1/workflow", json={}, headers=auth(token))
    assert response.status_code == 403
