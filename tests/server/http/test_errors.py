"""Every error is problem+json with a stable code, and every response has X-Request-ID."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from server.users import service as users_service
from tests.factories import signup

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    assert response.headers["x-request-id"]
    return dict(body)


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    _problem(await client.get("/v1/nothing-here"), 404, "not_found")
    _problem(await client.post("/nope", json={}), 404, "not_found")
    # A trailing slash is another path, not a redirect.
    _problem(await client.get("/v1/me/"), 404, "not_found")
    _problem(await client.post("/v1/auth/login/", json={}), 404, "not_found")


async def test_wrong_method(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/auth/login", json={})
    _problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/login", content=b'{"tenant": ', headers={"content-type": "application/json"}
    )
    _problem(response, 400, "malformed_json")
    latin1 = '{"tenant": "é", "email": "a@b.c", "password": "x"}'.encode("latin-1")
    response = await client.post(
        "/v1/auth/login", content=latin1, headers={"content-type": "application/json"}
    )
    _problem(response, 400, "malformed_json")


async def test_deeply_nested_json_is_malformed_not_a_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for nested in (b"[" * 1500 + b"]" * 1500, b'{"a":' * 1500 + b"1" + b"}" * 1500):
        response = await client.post(
            "/v1/auth/login",
            content=b'{"tenant": ' + nested + b"}",
            headers={"content-type": "application/json"},
        )
        _problem(response, 400, "malformed_json")
    assert "Traceback" not in caplog.text


async def test_every_bad_field_is_listed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/tenants",
        json={"name": 5, "slug": "Bad Slug", "admin": {"email": "x"}, "colour": "red"},
    )
    body = _problem(response, 422, "validation_error")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {e["field"] for e in errors} == {
        "name",
        "slug",
        "admin.email",
        "admin.name",
        "admin.password",
        "colour",
    }
    assert all(e["message"] for e in errors)
    not_object = await client.post("/v1/auth/login", json=[1, 2])
    _problem(not_object, 422, "validation_error")


async def test_nul_characters_are_validation_errors(client: httpx.AsyncClient) -> None:
    # PostgreSQL text cannot hold U+0000: refused field by field, never a 500.
    tenant = await signup(client)
    response = await client.post(
        "/v1/resources",
        json={"name": "a\u0000b", "kind": "room", "skills": ["ok", "x\u0000"]},
        headers=tenant.headers,
    )
    body = _problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"name", "skills.1"}  # type: ignore[attr-defined]
    project = await client.post("/v1/projects", json={"name": "\u0000"}, headers=tenant.headers)
    _problem(project, 422, "validation_error")
    query = await client.get("/v1/resources?kind=%00", headers=tenant.headers)
    body = _problem(query, 422, "validation_error")
    assert body["errors"] == [{"field": "kind", "message": "must not contain NUL (U+0000)"}]


async def test_body_over_the_limit(client: httpx.AsyncClient) -> None:
    big = b'{"tenant": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(
        "/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    _problem(response, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    streamed = await client.post("/v1/auth/login", content=chunks())
    _problem(streamed, 413, "payload_too_large")


async def test_unexpected_error_is_a_bare_500(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await signup(client)

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail: SELECT * FROM users")

    monkeypatch.setattr(users_service, "get_user", boom)
    response = await client.get(
        f"/v1/users/{tenant.admin['id']}",
        headers={**tenant.headers, "X-Request-ID": "trace-500"},
    )
    body = _problem(response, 500, "internal")
    assert body["request_id"] == "trace-500"
    assert response.headers["x-request-id"] == "trace-500"
    assert "secret" not in response.text and "SELECT" not in response.text
    assert set(body) == {"type", "title", "status", "detail", "code", "request_id"}


async def test_a_database_error_outside_a_transaction_is_503_not_500(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bare pool call that meets a restarting PostgreSQL: the last-resort handler answers
    # the same 503 a transaction does.
    tenant = await signup(client)

    async def refused(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    monkeypatch.setattr(users_service, "get_user", refused)
    response = await client.get(f"/v1/users/{tenant.admin['id']}", headers=tenant.headers)
    _problem(response, 503, "service_unavailable")
    assert response.headers["retry-after"] == "1"
    assert "5432" not in response.text


@pytest.mark.parametrize("incoming", ["abc", "A.b_c-9", "x" * 64])
async def test_valid_request_id_is_echoed(client: httpx.AsyncClient, incoming: str) -> None:
    for response in (
        await client.get("/healthz", headers={"X-Request-ID": incoming}),
        await client.get("/v1/nowhere", headers={"X-Request-ID": incoming}),
        await client.get("/v1/me", headers={"X-Request-ID": incoming}),
    ):
        assert response.headers["x-request-id"] == incoming
    problem = (await client.get("/v1/me", headers={"X-Request-ID": incoming})).json()
    assert problem["request_id"] == incoming


@pytest.mark.parametrize("incoming", ["", "x" * 65, "has space", "semi;colon", "ünï"])
async def test_invalid_request_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/healthz", headers={b"X-Request-ID": incoming.encode()})
    fresh = response.headers["x-request-id"]
    assert fresh != incoming
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", fresh)


async def test_fresh_ids_differ(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_unknown_and_foreign_ids_are_404(client: httpx.AsyncClient) -> None:
    tenant = await signup(client)
    response = await client.get(f"/v1/users/{uuid.uuid4()}", headers=tenant.headers)
    _problem(response, 404, "not_found")


async def test_a_client_gone_before_its_body_is_not_a_server_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await signup(client)
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/bookings",
        "raw_path": b"/v1/bookings",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
            (b"authorization", tenant.headers["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with caplog.at_level("INFO", logger="server.http"):
        await transport.app(scope, receive, send)
    assert sent == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
    assert "disconnected" in caplog.text
