"""Keyset pagination: opaque cursors and the ``?limit=&cursor=`` query every list takes.

A cursor is the base64url (unpadded) of the msgspec JSON array of the last row's sort
key, e.g. ``[created_at, id]``. Lists fetch ``limit + 1`` rows ordered by that key and
continue with ``WHERE (key...) > (cursor values...)``; ``page`` cuts the extra row off
and encodes the cursor of the last row kept.

    class BookingQuery(PageQuery):
        status: list[str] = []

    after = decode_cursor(query.cursor)        # None on the first page
    rows = await fetch(..., after, query.limit + 1)
    items, next_cursor = page(rows, query.limit, key=lambda r: [r["start"], r["id"]])

``decode_cursor`` gives JSON types (strings for datetimes and UUIDs); ``decode_key``
converts them to a typed tuple, e.g. ``decode_key(query.cursor, tuple[datetime, UUID])``.
A cursor that does not decode (or convert) is 422 ``validation_error`` on ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import msgspec

from server.errors import ValidationFailed
from server.schemas import Limit

T = TypeVar("T")
MAX_CURSOR_LENGTH = 1024

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(list[Any])


# What ``encode_cursor`` produces: unpadded base64url, stated in the schema.
Cursor = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_CURSOR_LENGTH,
        pattern="^[A-Za-z0-9_-]*$",
        description="The `next_cursor` of the previous page (opaque)",
    ),
]


class PageQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``?limit=1..200`` (default 50) and ``?cursor=``; list queries extend it."""

    limit: Limit = 50
    cursor: Cursor | None = None


def encode_cursor(values: list[Any]) -> str:
    """The opaque cursor for a row whose sort key is ``values``."""
    return base64.urlsafe_b64encode(_encoder.encode(values)).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key inside ``cursor`` (None when absent); 422 on ``cursor`` if invalid."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValidationFailed.field("cursor", "Invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = _decoder.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ValidationFailed.field("cursor", "Invalid cursor") from None
    if not values:
        raise ValidationFailed.field("cursor", "Invalid cursor")
    return values


def decode_key(cursor: str | None, shape: type[T]) -> T | None:
    """The sort key inside ``cursor`` converted to ``shape`` (a tuple type), or None."""
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        return msgspec.convert(values, shape, strict=False)
    except msgspec.ValidationError:
        raise ValidationFailed.field("cursor", "Invalid cursor") from None


def page(
    items: Sequence[T], limit: int, *, key: Callable[[T], list[Any]]
) -> tuple[list[T], str | None]:
    """Items and next cursor from up to ``limit + 1`` rows: the extra one says there is more."""
    kept = list(items[:limit])
    more = len(items) > limit and bool(kept)
    return kept, encode_cursor(key(kept[-1])) if more else None
