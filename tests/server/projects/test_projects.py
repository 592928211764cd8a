import httpx

from tests.factories import add_user, auth, signup


async def test_create_shape_and_code_taken(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    other = await signup(client)
    body = {"name": "Apollo", "code": "AP-1", "budget_hours": 10}
    created = await client.post("/v1/projects", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert set(data) == {
        "id", "name", "code", "budget_hours", "booked_hours", "remaining_hours", "is_active",
        "created_at", "updated_at", "deactivated_at", "deactivated_by", "deactivation_reason",
    }  # fmt: skip
    assert data["budget_hours"] == 10
    assert data["booked_hours"] == 0
    assert data["remaining_hours"] == 10
    again = await client.post("/v1/projects", json=body, headers=tenant.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "code_taken"
    elsewhere = await client.post("/v1/projects", json=body, headers=other.headers)
    assert elsewhere.status_code == 201
    no_budget = await client.post("/v1/projects", json={"name": "Misc"}, headers=tenant.headers)
    assert no_budget.json()["remaining_hours"] is None
    assert no_budget.json()["code"] is None
    negative = await client.post(
        "/v1/projects", json={"name": "N", "budget_hours": -1}, headers=tenant.headers
    )
    assert negative.status_code == 422


async def test_booked_hours_follow_bookings(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 8}, headers=tenant.headers
    )
    pid = project.json()["id"]
    resource = await client.post(
        "/v1/resources", json={"name": "R", "kind": "room"}, headers=tenant.headers
    )
    rid = resource.json()["id"]
    for start, end in (("09:00", "11:30"), ("12:00", "13:00")):
        response = await client.post(
            "/v1/bookings",
            json={
                "resource_id": rid,
                "project_id": pid,
                "start": f"2030-01-07T{start}:00Z",
                "end": f"2030-01-07T{end}:00Z",
            },
            headers=tenant.headers,
        )
        assert response.status_code == 201, response.text
    cancelled = response.json()["id"]
    await client.post(f"/v1/bookings/{cancelled}/cancel", headers=tenant.headers)
    got = await client.get(f"/v1/projects/{pid}", headers=tenant.headers)
    assert got.json()["booked_hours"] == 2.5
    assert got.json()["remaining_hours"] == 5.5
    listed = await client.get("/v1/projects", headers=tenant.headers)
    assert listed.json()["items"][0]["booked_hours"] == 2.5


async def test_patch_delete_roles_and_other_tenant(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    other = await signup(client)
    _, member = await add_user(client, tenant, "member")
    denied = await client.post("/v1/projects", json={"name": "P"}, headers=auth(member))
    assert denied.status_code == 403
    created = await client.post(
        "/v1/projects", json={"name": "P", "code": "C1"}, headers=tenant.headers
    )
    pid = created.json()["id"]
    await client.post("/v1/projects", json={"name": "Q", "code": "C2"}, headers=tenant.headers)
    patched = await client.patch(
        f"/v1/projects/{pid}", json={"budget_hours": 4.5, "code": None}, headers=tenant.headers
    )
    assert patched.status_code == 200
    assert patched.json()["budget_hours"] == 4.5
    assert patched.json()["code"] is None
    taken = await client.patch(f"/v1/projects/{pid}", json={"code": "C2"}, headers=tenant.headers)
    assert taken.status_code == 409
    assert taken.json()["code"] == "code_taken"
    for method, body in (("GET", None), ("PATCH", {"name": "C"}), ("DELETE", {"reason": "x"})):
        response = await client.request(
            method, f"/v1/projects/{pid}", json=body, headers=other.headers
        )
        assert response.status_code == 404
    deleted = await client.request(
        "DELETE", f"/v1/projects/{pid}", json={"reason": "done"}, headers=tenant.headers
    )
    assert deleted.status_code == 200
    assert deleted.json()["is_active"] is False
    no_reason = await client.request(
        "DELETE", f"/v1/projects/{pid}", json={}, headers=tenant.headers
    )
    assert no_reason.status_code == 422
    active = await client.get("/v1/projects?active=true", headers=tenant.headers)
    assert [p["name"] for p in active.json()["items"]] == ["Q"]
    events = await client.get("/v1/events?since=0", headers=tenant.headers)
    assert [e["type"] for e in events.json()["events"]] == [
        "project.created",
        "project.created",
        "project.updated",
        "project.updated",
    ]
