import httpx

from tests.factories import add_user, auth, signup

HOURS = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "sun": [["20:00", "24:00"]]}


async def test_create_get_and_shape(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    body = {
        "name": "Ada",
        "kind": "person",
        "timezone": "Europe/Berlin",
        "skills": ["python", "sql", "python"],
        "working_hours": HOURS,
    }
    created = await client.post("/v1/resources", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert set(data) == {
        "id", "name", "kind", "timezone", "skills", "working_hours", "is_active",
        "created_at", "updated_at", "deactivated_at", "deactivated_by", "deactivation_reason",
    }  # fmt: skip
    assert data["skills"] == ["python", "sql"]
    assert data["working_hours"] == HOURS
    assert data["is_active"] is True
    assert data["created_at"].endswith("Z")
    got = await client.get(f"/v1/resources/{data['id']}", headers=tenant.headers)
    assert got.json() == data


async def test_working_hours_default_null_and_validated(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    plain = await client.post(
        "/v1/resources", json={"name": "Room", "kind": "room"}, headers=tenant.headers
    )
    assert plain.json()["working_hours"] is None
    assert plain.json()["timezone"] == "UTC"
    bad = {
        "name": "X",
        "kind": "room",
        "working_hours": {
            "mon": [["10:00", "09:00"], ["24:00", "24:00"]],
            "tue": [["09:00", "12:00"], ["11:00", "13:00"]],
        },
    }
    response = await client.post("/v1/resources", json=bad, headers=tenant.headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"working_hours.mon.0", "working_hours.mon.1", "working_hours.tue"}
    for hours in ({"mon": [["9:00", "10:00"]]}, {"xyz": [["09:00", "10:00"]]}):
        response = await client.post(
            "/v1/resources", json={"name": "X", "kind": "r", "working_hours": hours},
            headers=tenant.headers,
        )  # fmt: skip
        assert response.status_code == 422, response.text
    zone = await client.post(
        "/v1/resources", json={"name": "X", "kind": "r", "timezone": "Mars/Base"},
        headers=tenant.headers,
    )  # fmt: skip
    assert zone.status_code == 422
    assert zone.json()["errors"][0]["field"] == "timezone"
    long_kind = await client.post(
        "/v1/resources", json={"name": "X", "kind": "k" * 41}, headers=tenant.headers
    )
    assert long_kind.status_code == 422
    everything = {
        "name": "",
        "kind": "room",
        "timezone": "Mars/Base",
        "working_hours": {"mon": [["10:00", "09:00"]]},
    }
    for method, path in (
        ("POST", "/v1/resources"),
        ("PATCH", f"/v1/resources/{plain.json()['id']}"),
    ):
        response = await client.request(method, path, json=everything, headers=tenant.headers)
        assert response.status_code == 422, response.text
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"name", "timezone", "working_hours.mon.0"}


async def test_roles(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    _, member = await add_user(client, tenant, "member")
    _, viewer = await add_user(client, tenant, "viewer")
    _, manager = await add_user(client, tenant, "manager")
    body = {"name": "Van", "kind": "equipment"}
    assert (await client.post("/v1/resources", json=body, headers=auth(member))).status_code == 403
    created = await client.post("/v1/resources", json=body, headers=auth(manager))
    assert created.status_code == 201
    listed = await client.get("/v1/resources", headers=auth(viewer))
    assert listed.status_code == 200
    assert [r["name"] for r in listed.json()["items"]] == ["Van"]


async def test_filters_and_pagination(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    ids = {}
    for index in range(7):
        body = {
            "name": f"R{index}",
            "kind": "room" if index % 2 else "person",
            "skills": ["a"] if index < 3 else ["b"],
        }
        created = await client.post("/v1/resources", json=body, headers=tenant.headers)
        ids[body["name"]] = created.json()["id"]
    gone = await client.request(
        "DELETE", f"/v1/resources/{ids['R1']}", json={"reason": "sold"}, headers=tenant.headers
    )
    assert gone.status_code == 200
    assert gone.json()["is_active"] is False
    assert gone.json()["deactivation_reason"] == "sold"
    assert gone.json()["deactivated_by"] == tenant.admin["id"]

    async def names(query: str) -> list[str]:
        response = await client.get(f"/v1/resources?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()["items"]]

    assert await names("kind=room") == ["R1", "R3", "R5"]
    assert await names("skill=a") == ["R0", "R1", "R2"]
    assert await names("active=false") == ["R1"]
    assert await names("active=true&kind=room&skill=b") == ["R3", "R5"]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/v1/resources?{query}", headers=tenant.headers)
        page = response.json()
        seen += [r["name"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"R{i}" for i in range(7)]
    bad = await client.get("/v1/resources?cursor=nope", headers=tenant.headers)
    assert bad.status_code == 422


async def test_patch_and_other_tenant(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    other = await signup(client)
    created = await client.post(
        "/v1/resources", json={"name": "A", "kind": "room"}, headers=tenant.headers
    )
    rid = created.json()["id"]
    patched = await client.patch(
        f"/v1/resources/{rid}",
        json={"name": "B", "working_hours": {"fri": [["08:00", "10:00"]]}},
        headers=tenant.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "B"
    assert patched.json()["kind"] == "room"
    assert patched.json()["working_hours"] == {"fri": [["08:00", "10:00"]]}
    cleared = await client.patch(
        f"/v1/resources/{rid}", json={"working_hours": None}, headers=tenant.headers
    )
    assert cleared.json()["working_hours"] is None
    for method, body in (("GET", None), ("PATCH", {"name": "C"}), ("DELETE", {"reason": "x"})):
        response = await client.request(
            method, f"/v1/resources/{rid}", json=body, headers=other.headers
        )
        assert response.status_code == 404, (method, response.text)
    events = await client.get("/v1/events?since=0", headers=tenant.headers)
    assert [e["type"] for e in events.json()["events"]] == [
        "resource.created",
        "resource.updated",
        "resource.updated",
    ]


async def test_nested_fields_are_named_by_dotted_path(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.post(
        "/v1/resources",
        json={
            "name": "Room",
            "kind": "room",
            "working_hours": {"mon": [["09:00", "25:00"]], "tue": [[5, "10:00"]], "xyz": []},
        },
        headers=tenant.headers,
    )
    assert response.status_code == 422
    fields = sorted(error["field"] for error in response.json()["errors"])
    assert fields == ["working_hours.mon.0.1", "working_hours.tue.0.0", "working_hours.xyz"]
