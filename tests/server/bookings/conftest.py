from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.config import Settings
from server.db import Database, Tx


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A direct pool on the test database, for service calls and checks in SQL."""
    database = await Database.connect(settings, min_size=1)
    yield database
    await database.close()


class Counter:
    """Statements that HTTP requests send through ``Tx`` (not the tenant's ``set_config``,
    nor what background tasks such as the realtime relay read meanwhile)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()
    for name in ("fetch", "fetchrow", "fetchval", "execute"):
        original = getattr(Tx, name)

        def counted(original: Any = original) -> Any:
            async def method(self: Tx, query: str, *args: Any) -> Any:
                if self.ctx.user_id is not None and self.ctx.request_id != "-":
                    counter.statements.append(query.split("\n", 1)[0])
                return await original(self, query, *args)

            return method

        monkeypatch.setattr(Tx, name, counted())
    return counter
