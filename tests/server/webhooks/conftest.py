from collections.abc import AsyncIterator

import httpx
import pytest

from server.config import Settings
from server.db import Database
from tests.factories import client_with


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(settings, min_size=1)
    yield database
    await database.close()


@pytest.fixture(scope="session")
async def local_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with BOOKING_WEBHOOK_ALLOW_PRIVATE=1, so webhooks may target 127.0.0.1."""
    async with client_with(settings, webhook_allow_private=True) as client:
        yield client
