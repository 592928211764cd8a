"""The arq side of the workflow: a msgspec-serialising pool and the after-commit enqueuer.

Timers live in PostgreSQL; the deferred jobs queued here are only the fast path, so a
failed enqueue costs at most one sweep period, never a transition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msgspec
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.db import Enqueuer, Job

HEARTBEAT_KEY = "booking:worker:heartbeat"
QUEUE_NAME = "arq:queue"

_encoder = msgspec.msgpack.Encoder(enc_hook=repr)
_decoder = msgspec.msgpack.Decoder()


def serialize(value: dict[str, Any]) -> bytes:
    """Job payloads and results as MessagePack; anything exotic (an exception) as its repr."""
    return _encoder.encode(value)


def deserialize(data: bytes) -> dict[str, Any]:
    value = _decoder.decode(data)
    assert isinstance(value, dict)
    return value


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    return settings


# Socket timeouts of a client nobody waits on (the worker, tests).
BACKGROUND_TIMEOUT = 5.0


def pool(url: str, timeout: float = BACKGROUND_TIMEOUT) -> ArqRedis:
    """An arq client enqueuing with the worker's serializer; it connects on first use.

    ``timeout`` bounds each connect and each read.
    """
    # A quick retry rides over a Redis restart that left a dead pooled connection behind.
    connections = ConnectionPool.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return ArqRedis(
        connections,
        job_serializer=serialize,
        job_deserializer=deserialize,
        default_queue_name=QUEUE_NAME,
    )


async def close(client: ArqRedis) -> None:
    await client.aclose(close_connection_pool=True)


def enqueuer(pool: ArqRedis, deadline: float | None = None) -> Enqueuer:
    """``Database.enqueuer``: queue each job by name, deferred, under its deterministic id.

    ``deadline`` bounds the whole call (a request waits for it after its commit); what
    it cuts short the sweeper fires from PostgreSQL.
    """

    async def enqueue_all(jobs: Sequence[Job]) -> None:
        for job in jobs:
            await pool.enqueue_job(
                job.name, *job.args, _job_id=job.job_id, _defer_until=job.defer_until
            )

    async def enqueue(jobs: Sequence[Job]) -> None:
        async with asyncio.timeout(deadline):
            await enqueue_all(jobs)

    return enqueue


async def worker_heartbeat(redis: Any) -> str | None:
    """The worker's last heartbeat, or None when no worker has reported recently."""
    value = await redis.get(HEARTBEAT_KEY)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
