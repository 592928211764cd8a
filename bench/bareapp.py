"""The yardstick's bare app (Starlette + asyncpg + msgspec, no auth, no realtime) sending
the product's SQL instead of the bare statement: what any Python layer around the product's
create can reach on this machine (``python -m bench floor --http``).

``BENCH_FLOOR_DSN``: a database prepared by ``bench/floor.sql``; ``BENCH_FLOOR_MODE``:
``create`` (app_create_booking, as the server sends it) or ``floor`` (bench_floor_create).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.pgbench import sample_payloads

CREATE = """
SELECT outcome = 'created' FROM app_create_booking('booking_app', $1, $2, $3, $4, NULL, $5,
    '', '', $6, $7, 'confirmed', $8, 'bench-floor', $9::jsonb, $10::jsonb)
"""
FLOOR = "SELECT bench_floor_create('booking_app', $1, $2, $3, $4, $5, $6::jsonb) IS NOT NULL"
# Far from the hours pgbench books on the same resources.
EPOCH = datetime(2200, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Booking(msgspec.Struct):
    client: int
    hour: int


decode = msgspec.json.Decoder(Booking).decode
encode = msgspec.json.Encoder().encode


class Floor:
    def __init__(self, dsn: str, mode: str) -> None:
        self.dsn, self.mode = dsn, mode
        self.after, self.diff = sample_payloads()
        self.slots: list[tuple[uuid.UUID, str, uuid.UUID, uuid.UUID]] = []
        self.pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        # As the yardstick's bare app: 8 connections.
        self.pool = await asyncpg.create_pool(self.dsn, min_size=8, max_size=8)
        rows = await self.pool.fetch(
            "SELECT tenant, stamp, resource, requester FROM bench_pgbench_slots ORDER BY client"
        )
        self.slots = [(r["tenant"], r["stamp"], r["resource"], r["requester"]) for r in rows]
        yield
        await self.pool.close()

    async def book(self, request: Request) -> Response:
        asked = decode(await request.body())
        tenant, stamp, resource, requester = self.slots[asked.client % len(self.slots)]
        start = EPOCH + asked.hour * HOUR
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            if self.mode == "create":
                made = await conn.fetchval(
                    CREATE,
                    tenant,
                    stamp,
                    uuid.uuid4(),
                    resource,
                    requester,
                    start,
                    start + HOUR,
                    uuid.uuid4(),
                    self.after,
                    self.diff,
                )
            else:
                made = await conn.fetchval(
                    FLOOR, tenant, resource, requester, start, start + HOUR, self.after
                )
        return Response(
            encode({"created": made}), 201 if made else 409, media_type="application/json"
        )


def make_app() -> Starlette:
    floor = Floor(os.environ["BENCH_FLOOR_DSN"], os.environ.get("BENCH_FLOOR_MODE", "create"))
    return Starlette(routes=[Route("/book", floor.book, methods=["POST"])], lifespan=floor.lifespan)
