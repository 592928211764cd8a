"""The overlap pre-check under the resource's lock: losers answered in one statement, with
the same body as the exclusion-constraint fallback, and exact under concurrency."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from server.bookings import queries, service, transitions
from server.db import Context, Database
from tests.server.bookings.common import World, at, world
from tests.server.bookings.conftest import Counter


def _same_problem(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    body = dict(response.json())
    body.pop("request_id", None)
    return body


# The resource lock without its overlap pre-check: what app_lock_resource would be without.
_LOCK_ONLY = """
CREATE OR REPLACE FUNCTION app_lock_resource(
    p_tenant uuid, p_resource uuid, p_start timestamptz, p_end timestamptz, p_excluding uuid
) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text || '/' || p_resource::text, 0));
    RETURN NULL;
END
$$"""


@contextlib.asynccontextmanager
async def _without_precheck(monkeypatch: pytest.MonkeyPatch, db: Database) -> AsyncIterator[None]:
    """Edits skip ``check_free``; creates (whose pre-check is in SQL) run with the lock only,
    so the exclusion constraint answers."""

    async def allow(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(service, "check_free", allow)
    monkeypatch.setattr(transitions, "check_free", allow)
    original = await db.pool.fetchval(
        "SELECT pg_get_functiondef('app_lock_resource(uuid, uuid, timestamptz, timestamptz,"
        " uuid)'::regprocedure)"
    )
    await db.pool.execute(_LOCK_ONLY)
    try:
        yield
    finally:
        await db.pool.execute(original)


async def _three_bookings(w: World) -> list[dict[str, Any]]:
    return [
        (await w.book(at("08:00"), at("09:00"))).json(),
        (await w.book(at("09:30"), at("10:00"), status="pending")).json(),
        (await w.book(at("10:00"), at("11:00"))).json(),
    ]


async def test_losing_create_costs_one_statement_and_answers_like_the_fallback(
    client: httpx.AsyncClient, statements: Counter, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    w = await world(client)
    taken = await _three_bookings(w)
    statements.reset()
    precheck = _same_problem(await w.book(at("08:30"), at("10:30"), expect=None))
    # create_booking alone (autocommit): the pre-check answers before any write
    assert (statements.count, statements.round_trips) == (1, 1), statements.statements
    assert [c["id"] for c in precheck["conflicts"]] == [b["id"] for b in taken]
    assert precheck["conflicts"][1] == {
        key: taken[1][key] for key in ("id", "number", "start", "end", "status")
    }
    async with _without_precheck(monkeypatch, db):
        fallback = _same_problem(await w.book(at("08:30"), at("10:30"), expect=None))
    assert fallback == precheck
    # Nothing was written by either loser: the next number follows the last booking's.
    after = (await w.book(at("12:00"), at("13:00"))).json()
    assert after["number"] == taken[-1]["number"] + 1


async def test_losing_move_answers_like_the_fallback(
    client: httpx.AsyncClient, statements: Counter, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    w = await world(client)
    other = await w.resource_with(name="Other")
    busy = (await w.book(at("08:00"), at("09:00"), resource_id=other["id"])).json()
    a = (await w.book(at("08:00"), at("09:00"))).json()
    b = (await w.book(at("09:00"), at("10:00"))).json()

    async def patch() -> httpx.Response:
        return await client.patch(
            f"/v1/bookings/{b['id']}",
            json={"start": at("08:30"), "end": at("09:30")},
            headers=w.manager,
        )

    async def assign() -> httpx.Response:
        return await client.post(
            f"/v1/bookings/{a['id']}/assign", json={"resource_id": other["id"]}, headers=w.manager
        )

    statements.reset()
    prechecked = [_same_problem(await patch()), _same_problem(await assign())]
    # lock_booking and booking_context each, no write
    assert statements.count == 4, statements.statements
    assert [c["id"] for c in prechecked[0]["conflicts"]] == [a["id"]]
    assert [c["id"] for c in prechecked[1]["conflicts"]] == [busy["id"]]
    async with _without_precheck(monkeypatch, db):
        assert [_same_problem(await patch()), _same_problem(await assign())] == prechecked
    # A move that only overlaps the booking itself is free.
    assert (await client.patch(
        f"/v1/bookings/{b['id']}", json={"start": at("09:15")}, headers=w.manager
    )).status_code == 200  # fmt: skip


async def test_budget_refusal_still_wins_over_a_conflict(client: httpx.AsyncClient) -> None:
    w = await world(client)
    project = await client.post(
        "/v1/projects", json={"name": "P", "budget_hours": 1}, headers=w.admin
    )
    pid = project.json()["id"]
    await w.book(at("08:00"), at("09:00"), project_id=pid)
    both = await w.book(at("08:00"), at("10:00"), project_id=pid, expect=409)
    assert both.json()["code"] == "budget_exceeded"
    other = await client.post(
        "/v1/projects", json={"name": "Q", "budget_hours": 5}, headers=w.admin
    )
    only_conflict = await w.book(
        at("08:00"), at("10:00"), project_id=other.json()["id"], expect=409
    )
    assert only_conflict.json()["code"] == "booking_conflict"


async def test_precheck_sees_what_the_lock_holder_committed_while_it_waited(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The waiting statement's own snapshot predates the commit; the check must not."""
    w = await world(client)
    ctx = Context(tenant_id=UUID(w.tenant.id), user_id=UUID(w.member_id), request_id="t")
    resource = UUID(w.resource["id"])
    start = datetime(2030, 1, 7, 8, tzinfo=UTC)
    end = datetime(2030, 1, 7, 9, tzinfo=UTC)
    waiting = asyncio.Event()

    async def second() -> Any:
        async with db.transaction(ctx) as tx:
            waiting.set()
            context = await queries.booking_context(
                tx, resource_id=resource, project_id=None, start=start, end=end, excluding=None
            )
            assert context is not None
            return context["conflicts"]

    async with db.transaction(ctx) as tx:
        context = await queries.booking_context(
            tx, resource_id=resource, project_id=None, start=start, end=end, excluding=None
        )
        assert context is not None and context["conflicts"] is None
        stamp = None
        for _ in range(2):  # the first answer is the context and its stamp ("stale")
            row = await queries.create_booking(
                tx, stamp=stamp, booking_id=uuid4(), resource_id=resource,
                requester_id=ctx.user_id or uuid4(), project_id=None, title="", note="",
                start=start, end=end, status="confirmed", after={}, diff={},
            )  # fmt: skip
            stamp = row["stamp"]
        assert row["outcome"] == "created"
        task = asyncio.create_task(second())
        await waiting.wait()
        await asyncio.sleep(0.3)  # the second statement is now queued on the lock
        assert not task.done()
    conflicts = await task
    assert [c["id"] for c in conflicts] == [str(row["id"])]


async def test_numbers_never_repeat_when_many_race_for_few_slots(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    rooms = [w.resource["id"]] + [(await w.resource_with(name=f"R{i}"))["id"] for i in range(3)]

    async def attempt(index: int) -> httpx.Response:
        hour = 8 + index % 3
        return await w.book(
            at(f"{hour:02}:00"), at(f"{hour + 1:02}:00"), resource_id=rooms[index % 4], expect=None
        )

    responses = await asyncio.gather(*(attempt(i) for i in range(60)))
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 12, codes
    assert codes.count(409) == 48, codes
    numbers = sorted(r.json()["number"] for r in responses if r.status_code == 201)
    assert numbers == list(range(1, 13))
    for response in responses:
        if response.status_code == 409:
            assert len(response.json()["conflicts"]) == 1


async def test_a_committed_conflict_is_answered_without_queueing_on_the_lock(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    await w.book(at("08:00"), at("09:00"))
    ctx = Context(tenant_id=UUID(w.tenant.id), user_id=UUID(w.member_id), request_id="t")
    resource = UUID(w.resource["id"])
    async with db.transaction(ctx) as tx:  # another writer of the resource holds its lock
        context = await queries.booking_context(
            tx, resource_id=resource, project_id=None, start=None, end=None, excluding=None
        )
        assert context is not None
        loser = await asyncio.wait_for(w.book(at("08:30"), at("09:30"), expect=None), 5)
        assert loser.status_code == 409
        assert len(loser.json()["conflicts"]) == 1
        free = asyncio.create_task(w.book(at("10:00"), at("11:00"), expect=None))
        await asyncio.sleep(0.3)
        assert not free.done()  # a free slot still waits for the lock
    assert (await free).status_code == 201
