"""The series write users ask for on both faces (HTTP and socket), declared once."""

from __future__ import annotations

from server.db import Tx
from server.operations import Operation
from server.series import service
from server.series.schemas import SeriesCreate, SeriesOut


async def _create(tx: Tx, _: None, body: SeriesCreate) -> SeriesOut:
    return await service.create_series(tx, body)


CREATE = Operation(
    name="series.create",
    method="POST",
    path="/v1/series",
    role="member",
    body=SeriesCreate,
    run=_create,
    status=201,
)
