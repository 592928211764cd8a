from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from server.config import Settings
from server.db import Database
from server.workflow import maintenance


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
    assert first["rows_pruned"] >= 0
    conn = await asyncpg.connect(database_url)
    try:
        partitions = await conn.fetchval(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass"
        )
    finally:
        await conn.close()
    assert partitions >= 5  # last month, this month, three ahead, and the default
