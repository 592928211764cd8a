from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.config import Settings
from server.db import Database, Statement, Tx
from server.sql import Query


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A direct pool on the test database, for service calls and checks in SQL."""
    database = await Database.connect(settings, min_size=1)
    yield database
    await database.close()


class Counter:
    """Statements that HTTP requests send through ``Tx`` (not the opening ``BEGIN`` with
    the tenant's ``set_config``, nor what background tasks such as the realtime relay read
    meanwhile), and the database round trips they cost: each statement, and the opening
    and the ``COMMIT`` of every transaction that was opened (a ``sole`` statement alone
    opens none)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.begins = 0

    def reset(self) -> None:
        self.statements.clear()
        self.begins = 0

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def round_trips(self) -> int:
        return len(self.statements) + 2 * self.begins


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()

    def by_request(tx: Tx) -> bool:
        return tx.ctx.user_id is not None and tx.ctx.request_id != "-"

    for name in ("fetch", "fetchrow", "fetchval", "execute", "sole"):
        original = getattr(Tx, name)

        def counted(original: Any = original) -> Any:
            async def method(self: Tx, query: Statement, *args: Any, **named: Any) -> Any:
                if by_request(self):
                    sql = query.sql if isinstance(query, Query) else query
                    counter.statements.append(sql.split("\n", 1)[0])
                return await original(self, query, *args, **named)

            return method

        monkeypatch.setattr(Tx, name, counted())
    begin = Tx.begin

    async def counted_begin(self: Tx) -> None:
        if by_request(self) and self.state == "idle":
            counter.begins += 1
        await begin(self)

    monkeypatch.setattr(Tx, "begin", counted_begin)
    return counter
