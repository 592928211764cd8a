"""A database that restarts or is down answers 503 ``service_unavailable`` with
``Retry-After``, never 500, and the pool recovers without a restart of the app."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from bench.services import Postgres, private_services
from server import errors
from server.config import Settings
from server.db import translate, unreachable
from tests.conftest import scratch_database
from tests.factories import client_with, signup

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster() -> Iterator[Postgres]:
    with private_services() as (postgres, redis):
        redis.stop()  # the test's Redis serves the app; only the cluster is ours
        yield postgres


@pytest.fixture
async def restartable(settings: Settings, cluster: Postgres) -> AsyncIterator[Settings]:
    async with scratch_database(cluster.url, "booking_restart") as url:
        yield msgspec.structs.replace(settings, database_url=url, pool_max=8)


def test_connection_failures_are_unavailable_and_other_errors_are_not() -> None:
    for exc in (
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    ):
        assert unreachable(exc)
        assert isinstance(translate(exc), errors.Unavailable)
    assert unreachable(ConnectionRefusedError(111, "Connect call failed"))
    assert unreachable(asyncpg.InternalClientError("cannot switch to state 15"))
    assert unreachable(asyncpg.InterfaceError("cannot call fetch(): connection is closed"))
    assert not unreachable(asyncpg.InterfaceError("another operation is in progress"))
    assert not unreachable(asyncpg.UndefinedTableError("relation does not exist"))
    assert not unreachable(ValueError("bad"))


async def test_restart_and_outage_answer_503_with_retry_after_then_recover(
    restartable: Settings, cluster: Postgres
) -> None:
    async with client_with(restartable) as client:
        tenant = await signup(client)
        made = await client.post(
            "/v1/resources", json={"name": "Room", "kind": "room"}, headers=tenant.headers
        )
        assert made.status_code == 201, made.text
        resource = made.json()["id"]
        seen: Counter[int] = Counter()
        bad: list[str] = []
        stop = asyncio.Event()

        async def load(worker: int) -> None:
            slot = 0
            while not stop.is_set():
                start = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=1000 * worker + slot)
                body = {
                    "resource_id": resource,
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=30)).isoformat(),
                }
                key = {"Idempotency-Key": uuid.uuid4().hex, **tenant.headers}
                for answer in (
                    await client.post("/v1/bookings", json=body, headers=key),
                    await client.get("/v1/resources", headers=tenant.headers),
                ):
                    seen[answer.status_code] += 1
                    if answer.status_code == 503:
                        problem = answer.json()
                        if problem["code"] != "service_unavailable" or (
                            answer.headers.get("retry-after") != "1"
                        ):
                            bad.append(answer.text)
                    elif answer.status_code not in (200, 201):
                        bad.append(f"{answer.status_code} {answer.text}")
                slot += 1
                await asyncio.sleep(0.01)

        loaders = [asyncio.create_task(load(n)) for n in range(4)]
        try:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(cluster.restart)
            await asyncio.sleep(0.5)
            await asyncio.to_thread(cluster.stop)
            await asyncio.sleep(1.0)
            down = seen[503]
            await asyncio.to_thread(cluster.start)
            await asyncio.sleep(1.5)
        finally:
            stop.set()
            await asyncio.gather(*loaders)
        assert not bad, bad[:5]
        assert down > 0, seen
        # Recovered by itself: the pool reconnects, the next requests work.
        after = await client.get("/v1/resources", headers=tenant.headers)
        assert after.status_code == 200, after.text
        assert seen[201] > 0 and seen[200] > 0, seen
