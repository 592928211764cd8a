"""``Idempotency-Key``: the first response of a key is replayed for 24 h.

One table for both faces: HTTP's header and the socket's ``idempotency_key`` field claim
the same (tenant, user, key) rows, with the fingerprint of the same request (method, path
with its ids, decoded body), so a key works the same whichever face a retry comes by.

The key is claimed inside the same transaction as the work, so concurrent duplicates
queue on the key's row and the loser replays the winner's committed response; a
crash before commit leaves no claim behind. Error responses are stored after rollback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from server import errors
from server.db import Context, Database, Tx
from server.idempotency import queries
from server.schemas import encoder

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(errors.Unprocessable):
    code, title = "idempotency_key_reused", "Idempotency key reused"


class _Replay(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).digest()


async def run_once(
    db: Database,
    ctx: Context,
    *,
    key: object,
    fingerprint: bytes,
    work: Callable[[Tx], Awaitable[Any]],
    render: Callable[[Any], tuple[int, bytes]],
    field: str = "Idempotency-Key",
) -> tuple[int, bytes]:
    """The (status, body) of the key's first request: ``work``'s, or the stored one.

    ``key`` is checked here (a socket sends any JSON value); ``field`` names where it
    came from in the 422 for a malformed one."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise errors.ValidationFailed.field(field, f"must be 1-{MAX_KEY_LENGTH} characters")
    assert ctx.user_id is not None
    user_id = ctx.user_id

    async def attempt(tx: Tx) -> tuple[int, bytes]:
        if not await queries.claim(tx, user_id=user_id, key=key, request_hash=fingerprint):
            row = await queries.get(tx, user_id=user_id, key=key)
            if row is None:
                raise errors.Contention()
            if bytes(row["request_hash"]) != fingerprint:
                raise IdempotencyKeyReused("This Idempotency-Key was used with a different request")
            raise _Replay(row["status"], bytes(row["body"] or b""))
        status, body = render(await work(tx))
        await queries.store(tx, user_id=user_id, key=key, status=status, body=body)
        return status, body

    try:
        return await db.run(ctx, attempt)
    except _Replay as replay:
        return replay.status, replay.body
    except IdempotencyKeyReused:
        raise
    except errors.AppError as err:
        if err.status < 500 and not isinstance(err, errors.RateLimited | errors.Contention):
            body = encoder.encode(err.problem(ctx.request_id))
            status = err.status

            async def remember(tx: Tx) -> None:
                await queries.store_error(
                    tx,
                    user_id=user_id,
                    key=key,
                    request_hash=fingerprint,
                    status=status,
                    body=body,
                )

            await db.run(ctx, remember)
        raise
