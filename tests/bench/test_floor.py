"""``python -m bench floor`` for a second per part: every part runs and books what it says,
and the floor statement keeps the guarantee the yardstick's statement keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bench import floor, wrkdriver, yardstick
from tests.conftest import scratch_database

pytestmark = pytest.mark.slow


def test_every_part_runs_and_books_what_it_says(services: tuple[str, str]) -> None:
    lines: list[str] = []
    found = yardstick.find_folder()
    result = floor.measure(
        services[0],
        yardstick=found,
        clients=4,
        tenants=2,
        seconds=1,
        rounds=1,
        ladder=True,
        http=wrkdriver.available(),
        log=lines.append,
    )
    # measure() raises unless each pgbench run made one booking per transaction.
    (only,) = result.rounds
    assert only.floor_tps > 0 and only.create_tps > 0
    assert (only.bare_tps is not None) == (found is not None)
    assert result.durability.startswith("fsync=")
    # Each step of the ladder dropped something, and the floor still booked after it.
    assert [s.count > 0 for s in result.ladder] == [False, True, True, True]
    assert all(s.floor_tps > 0 for s in result.ladder)
    if result.http:
        apps = [h.app for h in result.http]
        assert apps[-2:] == [
            "bare app sending the product's floor",
            "bare app sending the product's create",
        ]
        # Every request of the product's bare app booked (its wrk threads are seeded apart).
        assert all(h.rps > 0 and h.non_2xx_share < 0.05 for h in result.http[-2:])
    report = "\n".join(floor.report(result))
    assert "the product's create over the floor" in report
    assert "the floor without the foreign keys" in report


async def test_the_floor_statement_refuses_an_overlap_and_stays_in_its_tenant(
    services: tuple[str, str],
) -> None:
    async with scratch_database(services[0], "bench_floor_test") as url:
        await floor.prepare(url, clients=2, tenants=2)
        conn = await asyncpg.connect(url)
        try:
            slots = await conn.fetch(
                "SELECT tenant, resource, requester FROM bench_pgbench_slots ORDER BY client"
            )
            start = datetime(2100, 1, 4, 9, tzinfo=UTC)

            async def book(slot: asyncpg.Record, offset: timedelta) -> int | None:
                async with conn.transaction():
                    made: int | None = await conn.fetchval(
                        "SELECT bench_floor_create('booking_app', $1, $2, $3, $4, $5, '{}')",
                        slot["tenant"],
                        slot["resource"],
                        slot["requester"],
                        start + offset,
                        start + offset + timedelta(hours=1),
                    )
                return made

            assert await book(slots[0], timedelta()) == 1
            # Half an hour later on the same resource: the exclusion constraint says no,
            # and nothing of it is written (no number, no audit row, no event).
            assert await book(slots[0], timedelta(minutes=30)) is None
            assert await book(slots[0], timedelta(hours=1)) is not None
            assert await book(slots[1], timedelta()) == 1
            counts = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM bookings) AS bookings,"
                " (SELECT count(*) FROM audit_log) AS audit, (SELECT count(*) FROM events)"
                " AS events"
            )
            assert dict(counts) == {"bookings": 3, "audit": 3, "events": 3}
            # Another tenant's resource is refused (the resource's key leads with its
            # tenant), not booked.
            with pytest.raises(asyncpg.PostgresError):
                async with conn.transaction():
                    await conn.execute(
                        "SELECT bench_floor_create('booking_app', $1, $2, $3, $4, $5, '{}')",
                        slots[0]["tenant"],
                        slots[1]["resource"],
                        slots[0]["requester"],
                        start,
                        start + timedelta(hours=1),
                    )
        finally:
            await conn.close()
