"""The relay without NOTIFY: woken after commit (in process, or through Redis from another
process), and a new leader resuming from what the last one emitted."""

import asyncio
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest

from realtime import queries
from realtime.relay import Relay
from server.config import Settings
from server.db import Context, Database
from server.events import service as events
from server.sql import QUERIES
from tests.factories import signup
from tests.realtime.conftest import LiveServer, eventually, mirror
from tests.realtime.test_processes import _create_resource, _healthy, _http, _processes, pushed

ROOT = Path(__file__).resolve().parents[2]
NOTIFY = re.compile(r"\b(pg_notify|notify)\b", re.IGNORECASE)


def test_no_sql_of_the_project_notifies() -> None:
    """NOTIFY serializes the commits of every notifying transaction database-wide."""
    for name, query in QUERIES.items():
        assert not NOTIFY.search(_code(query.sql)), name
    for path in sorted((ROOT / "sql" / "migrations").glob("*.sql")):
        assert not NOTIFY.search(_code(path.read_text())), path.name


def _code(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


async def test_a_write_sends_no_notification(live: LiveServer, rt_settings: Settings) -> None:
    tenant = await signup(live.http)
    heard: list[str] = []
    conn = await asyncpg.connect(rt_settings.require_database_url())
    try:
        await conn.add_listener("booking_events", lambda *args: heard.append(args[3]))
        await _create_resource(live.http, tenant, "quiet")
        await asyncio.sleep(0.3)
    finally:
        await conn.close()
    assert heard == []


async def test_another_process_wakes_the_leader_through_redis(
    live: LiveServer, rt_settings: Settings
) -> None:
    """The leader here polls only every 30 s: an event written through a subprocess reaches
    a socket at once only because that process published the wake-up."""
    relay = live.app.realtime.relay
    assert relay is not None
    await eventually(lambda: relay.is_leader)
    poll = relay.poll_seconds
    relay.poll_seconds = 30.0
    try:
        await asyncio.sleep(2 * poll)  # the loop's current wait ends; the next is 30 s
        with _processes(rt_settings, 1) as procs:
            (proc, url) = procs[0]
            await _healthy(url, proc)
            tenant = await signup(live.http)
            here = await mirror(live.url, tenant.token)
            try:
                async with _http(url) as http:
                    await _create_resource(http, tenant, "woken")
                await eventually(lambda: pushed(here) == ["woken"], within=5.0)
            finally:
                await here.client.close()
    finally:
        relay.poll_seconds = poll


async def _record(db: Database, ctx: Context, index: int) -> None:
    async def write(tx: Any) -> None:
        await events.record(
            tx, type="test.event", entity_type="test", entity_id=ctx.tenant_id,
            before=None, after={"index": index},
        )  # fmt: skip

    await db.run(ctx, write)


@pytest.mark.slow
async def test_a_new_leader_resumes_where_the_last_one_stopped(
    live: LiveServer, rt_settings: Settings, rt_db: Database
) -> None:
    """Events committed while the leader dies and before the next one leads are pushed,
    each tenant's in seq order: the next leader starts from the saved cursors, not the
    heads."""
    relay = live.app.realtime.relay
    assert relay is not None
    tenant = await signup(live.http)
    ctx = Context(tenant_id=UUID(tenant.id), user_id=None, request_id="test")
    emitted: dict[str, list[int]] = {"a": [], "b": []}

    def recorder(name: str) -> Any:
        async def emit(_event: str, payload: dict[str, Any], room: str) -> None:
            if room.endswith(tenant.id):
                emitted[name].append(int(payload["seq"]))

        return emit

    head = (await rt_db.read(None, queries.event_heads)).get(ctx.tenant_id, 0)
    await relay.stop()  # the test's own relays take the lead in this database
    fast = msgspec.structs.replace(rt_settings, relay_poll_seconds=0.05)
    first = Relay(fast, rt_db, recorder("a"))
    second = Relay(fast, rt_db, recorder("b"))
    try:
        first.start()
        await eventually(lambda: first.is_leader)
        for index in range(30):
            await _record(rt_db, ctx, index)
            if index == 10:
                await eventually(lambda: bool(emitted["a"]))
        await first.stop()  # dies while events keep committing, with no leader
        for index in range(30, 40):
            await _record(rt_db, ctx, index)
        second.start()
        await eventually(lambda: head + 40 in emitted["b"])
    finally:
        await first.stop()
        await second.stop()
        relay.start()
    a, b = emitted["a"], emitted["b"]
    assert a == sorted(a) and b == sorted(b)
    assert a and b and b[0] <= a[-1] + 1, (a, b)  # resumed, not started at the head
    assert sorted(set(a) | set(b)) == list(range(head + 1, head + 41))
