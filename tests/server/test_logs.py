"""BOOKING_LOG_FORMAT=json: one object a line with request id, tenant and user."""

from __future__ import annotations

import json
import logging
import uuid

import httpx

from server.config import Settings
from server.logs import REQUEST_ID, TENANT, USER, JsonFormatter
from tests.cli import serving


def test_a_json_line_carries_the_context() -> None:
    tokens = (REQUEST_ID.set("req-1"), TENANT.set("t-1"), USER.set("u-1"))
    try:
        record = logging.LogRecord(
            "server.x", logging.WARNING, __file__, 1, "hi %s", ("you",), None
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(tokens[0])
        TENANT.reset(tokens[1])
        USER.reset(tokens[2])
    assert line["message"] == "hi you"
    assert line["level"] == "warning"
    assert (line["request_id"], line["tenant"], line["user"]) == ("req-1", "t-1", "u-1")


def test_serve_writes_json_access_lines_with_tenant_and_user(settings: Settings) -> None:
    with serving(
        "--access-log",
        BOOKING_DATABASE_URL=settings.require_database_url(),
        BOOKING_REDIS_URL=settings.require_redis_url(),
        BOOKING_JWT_SECRET=settings.require_jwt_secret(),
        BOOKING_SIGNUP="open",
        BOOKING_LOG_FORMAT="json",
    ) as (base, proc):
        slug = f"logs-{uuid.uuid4().hex[:8]}"
        signup = httpx.post(
            f"{base}/v1/tenants",
            json={
                "name": "Logs",
                "slug": slug,
                "admin": {"email": f"a@{slug}.test", "name": "A", "password": "Sup3r-secret!"},
            },
            timeout=30,
        )
        assert signup.status_code == 201, signup.text
        body = signup.json()
        me = httpx.get(
            f"{base}/v1/users",
            headers={"Authorization": f"Bearer {body['access_token']}", "X-Request-ID": "find-me"},
            timeout=10,
        )
        assert me.status_code == 200, me.text
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines, stderr
    mine = [line for line in lines if line["request_id"] == "find-me"]
    assert mine, stderr
    assert mine[0]["tenant"] == body["tenant"]["id"]
    assert mine[0]["user"] == body["user"]["id"]
    assert mine[0]["logger"] == "uvicorn.access"
