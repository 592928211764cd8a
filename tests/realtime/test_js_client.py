"""The official JavaScript client (socket.io-client from npm, run with node)."""

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.db import Database
from tests.factories import signup
from tests.realtime.conftest import WAIT, LiveServer, record_changes

JS = Path(__file__).resolve().parent / "js"


def _client_installed() -> bool:
    if (JS / "node_modules" / "socket.io-client").is_dir():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, timeout=180
    )
    return done.returncode == 0


async def _line(stream: asyncio.StreamReader) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        raw = await stream.readline()
    assert raw, "the node client exited early"
    message: dict[str, Any] = json.loads(raw)
    return message


async def test_the_javascript_client_connects_authenticates_and_receives(
    live: LiveServer, rt_db: Database
) -> None:
    node = shutil.which("node")
    if node is None or not _client_installed():
        pytest.skip("socket.io-client is not installed and `npm ci` failed in tests/realtime/js")
    tenant = await signup(live.http)
    proc = await asyncio.create_subprocess_exec(
        node,
        "client.mjs",
        live.url,
        tenant.token,
        cwd=JS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert await _line(proc.stdout) == {"refused": "unauthorized"}
        assert await _line(proc.stdout) == {"connected": True, "seq": 0}
        await record_changes(rt_db, tenant.id, 1)
        event = (await _line(proc.stdout))["event"]
        assert event["seq"] == 1
        assert event["type"] == "resource.created"
        assert set(event) == {"seq", "type", "at", "actor_id", "data"}
        async with asyncio.timeout(WAIT):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
