from collections.abc import AsyncIterator

import pytest

from server.config import Settings
from server.db import Database


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A direct pool on the test database, for service calls and checks in SQL."""
    database = await Database.connect(settings, min_size=1)
    yield database
    await database.close()
