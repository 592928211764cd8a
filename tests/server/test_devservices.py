import asyncio
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis

from server import devservices
from server.devservices import ServicesError, resolve_services


def _port_open(url: str) -> bool:
    port = urlsplit(url).port
    assert port is not None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def _use_database(url: str, create: bool) -> int:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        if create:
            await conn.execute("CREATE TABLE kept (id int)")
        value: int = await conn.fetchval("SELECT count(*) FROM kept")
        return value
    finally:
        await conn.close()


def test_private_services_start_serve_and_stop(tmp_path: Path) -> None:
    with resolve_services(tmp_path, {}) as services:
        assert asyncio.run(_use_database(services.database_url, create=True)) == 0
        with redis.Redis.from_url(services.redis_url) as client:
            assert client.ping()
    assert not _port_open(services.database_url)
    assert not _port_open(services.redis_url)


def test_a_cluster_is_kept_between_runs() -> None:
    # Not tmp_path (nor the checkout, wherever it is cloned): root's PostgreSQL user may
    # not reach those, and then the cluster is a temporary one. A world-traversable folder.
    data_dir = Path(tempfile.mkdtemp(prefix="booking-keep-"))
    data_dir.chmod(0o755)
    try:
        for first in (True, False):
            with resolve_services(data_dir, {}) as services:
                assert asyncio.run(_use_database(services.database_url, create=first)) == 0
            assert not _port_open(services.database_url)
        assert (data_dir / "pg" / "PG_VERSION").is_file()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_two_users_of_one_data_dir_get_separate_servers(tmp_path: Path) -> None:
    with resolve_services(tmp_path, {}) as one, resolve_services(tmp_path, {}) as two:
        assert one.database_url != two.database_url
        assert one.redis_url != two.redis_url
        assert _port_open(one.database_url) and _port_open(two.database_url)


def test_urls_from_env_are_used_and_nothing_started(tmp_path: Path) -> None:
    env = {
        "BOOKING_DATABASE_URL": "postgresql://elsewhere/db",
        "BOOKING_REDIS_URL": "redis://elsewhere/0",
    }
    with resolve_services(tmp_path / "unused", env) as services:
        assert services.database_url == env["BOOKING_DATABASE_URL"]
        assert services.redis_url == env["BOOKING_REDIS_URL"]
    assert not (tmp_path / "unused").exists()


def test_missing_binaries_are_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(devservices, "PG_BIN_GLOB", str(tmp_path / "*" / "bin"))
    for start in (devservices.start_postgres, devservices.start_redis):
        with pytest.raises(ServicesError) as raised:
            start(tmp_path / "data")
        message = str(raised.value)
        assert "\n" not in message
        assert "postgresql-contrib" in message
        assert "docker compose up db redis" in message
