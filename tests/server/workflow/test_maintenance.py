import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from server.config import Settings
from server.db import Database, Tx
from server.workflow import maintenance, queries


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(settings, min_size=1)
    try:
        yield database
    finally:
        await database.close()


async def test_partitions_ahead_and_prune(db: Database, database_url: str) -> None:
    first = await maintenance.run_maintenance(db, event_retention=timedelta(days=7))
    assert first["partitions_created"] == 0  # the migration made them already
    assert first["events_pruned"] >= 0
    assert first["idempotency_keys_pruned"] >= 0
    conn = await asyncpg.connect(database_url)
    try:
        partitions = await conn.fetchval(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass"
        )
    finally:
        await conn.close()
    assert partitions >= 5  # last month, this month, three ahead, and the default


def _month_ahead(months: int) -> datetime:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, 12, tzinfo=UTC)


async def test_rows_in_the_default_partition_move_into_the_new_partition(
    db: Database, database_url: str
) -> None:
    ahead = _month_ahead(maintenance.MONTHS_AHEAD)
    part = f"audit_log_{ahead:%Y_%m}"
    entity = uuid.uuid4()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"DROP TABLE {part}")
        # With no partition for its month, this row lands in the default partition.
        await conn.execute(
            "INSERT INTO audit_log (tenant_id, id, at, action, entity_type, entity_id,"
            " correlation_id) VALUES ($1, $2, $3, 'test', 'test', $4, 'test')",
            uuid.uuid4(),
            uuid.uuid4(),
            ahead,
            entity,
        )
        done = await maintenance.run_maintenance(db, event_retention=timedelta(days=7))
        assert done["partitions_created"] == 1
        assert done["events_pruned"] >= 0
        where = await conn.fetchval(
            "SELECT tableoid::regclass::text FROM audit_log WHERE entity_id = $1", entity
        )
        assert where == part
        again = await maintenance.run_maintenance(db, event_retention=timedelta(days=7))
        assert again["partitions_created"] == 0
    finally:
        await conn.close()


async def test_pruning_goes_on_when_partitions_fail(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(tx: Tx, *, months_ahead: int) -> int:
        raise RuntimeError("partition maintenance broke")

    monkeypatch.setattr(queries, "ensure_audit_partitions", broken)
    done = await maintenance.run_maintenance(db, event_retention=timedelta(days=7))
    assert done["partitions_created"] == maintenance.FAILED
    assert done["events_pruned"] >= 0
    assert done["idempotency_keys_pruned"] >= 0
