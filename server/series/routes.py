from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.series import operations, service
from server.series.schemas import SeriesCancel, SeriesOut

api = Api()


api.operation(
    operations.CREATE,
    summary="Book a recurring series: every occurrence or none",
    tag="series",
    response=SeriesOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
)


@api.route(
    "GET",
    "/v1/series/{series_id}",
    role="viewer",
    summary="A series with all its bookings (every status)",
    tag="series",
    response=SeriesOut,
    errors=(401, 404),
)
async def get_series(call: Call) -> SeriesOut:
    series_id = call.params["series_id"]
    return await call.rt.db.read(call.auth, lambda tx: service.get_series(tx, series_id))


@api.route(
    "POST",
    "/v1/series/{series_id}/cancel",
    role="member",
    summary="Cancel a series' pending and confirmed bookings from a time on (default now)",
    tag="series",
    body=SeriesCancel,
    response=SeriesOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
async def cancel_series(call: Call, tx: Tx) -> SeriesOut:
    return await service.cancel_series(tx, call.params["series_id"], call.body)
