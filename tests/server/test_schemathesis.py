"""A bounded schemathesis run against a served process: no server errors, and no request
the OpenAPI document calls invalid is accepted (``negative_data_rejection``).

Its coverage phase sends, per operation, the boundary and wrong-type values the document
implies (``to=0.5`` for a time, a cursor outside its pattern, a missing required field).
Valid requests the server still refuses are business rules the schema cannot state; they
are listed in docs/api.md. The run reads the served document with the operations whose
query rules matter most first, so the time budget reaches them on a loaded machine.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import pytest

from server.config import Settings
from tests.cli import serving_async
from tests.factories import PASSWORD

pytestmark = pytest.mark.slow
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# The run stops after this long, whatever it covered by then.
BUDGET_SECONDS = 40
FIRST = ("/v1/bookings", "/v1/resources/{resource_id}/calendar.ics", "/v1/audit", "/v1/schedule")
# The docs page's assets and the health probes take no input worth fuzzing.
SKIPPED_TAGS = ("docs", "operations")


async def test_schemathesis_finds_no_server_error_and_no_accepted_invalid_request(
    settings: Settings, tmp_path: Path
) -> None:
    async with serving_async(
        settings, BOOKING_SIGNUP="open", BOOKING_RATE_LIMIT_ENABLED="false"
    ) as http:
        slug = f"st-{uuid.uuid4().hex[:10]}"
        signup = await http.post(
            "/v1/tenants",
            json={
                "name": "Fuzz",
                "slug": slug,
                "admin": {"email": f"admin@{slug}.test", "name": "Admin", "password": PASSWORD},
            },
        )
        assert signup.status_code == 201, signup.text
        document = (await http.get("/openapi.json")).json()
        paths = document["paths"]
        document["paths"] = {
            **{path: paths[path] for path in FIRST},
            **{path: item for path, item in paths.items() if path not in FIRST},
        }
        schema = tmp_path / "openapi.json"
        schema.write_text(json.dumps(document))
        report = tmp_path / "report.json"
        run = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            str(schema),
            "--url",
            str(http.base_url).rstrip("/"),
            "--header",
            f"Authorization: Bearer {signup.json()['access_token']}",
            "--checks",
            "not_a_server_error,negative_data_rejection",
            "--phases",
            "coverage",
            "--mode",
            "negative",
            "--max-time",
            str(BUDGET_SECONDS),
            "--exclude-tag-regex",
            "^(" + "|".join(SKIPPED_TAGS) + ")$",
            # These end the token the run uses.
            "--exclude-path",
            "/v1/auth/logout",
            "--exclude-path",
            "/v1/auth/password",
            # One worker: hypothesis is not thread-safe here (AST errors).
            "--workers",
            "1",
            "--seed",
            "1",
            "--no-shrink",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        output, _ = await asyncio.wait_for(run.communicate(), BUDGET_SECONDS + 30)
    text = output.decode(errors="replace")
    text = text[:1500] + text[-2500:]
    assert report.exists(), text
    result = json.loads(report.read_text())
    assert result["test_cases"]["generated"] > 100, text
    assert result["failures"] == [], text
    assert result["errors"] == [], text
