from __future__ import annotations

from uuid import UUID

import asyncpg

from server.db import Tx
from server.sql import QUERIES


async def use_refresh_token(tx: Tx, token_hash: bytes) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["use_refresh_token"], tenant_id=tx.tenant_id, token_hash=token_hash
    )


async def get_refresh_token(
    tx: Tx, token_hash: bytes, *, grace_seconds: float
) -> asyncpg.Record | None:
    return await tx.fetchrow(
        QUERIES["get_refresh_token"],
        tenant_id=tx.tenant_id,
        token_hash=token_hash,
        grace_seconds=float(grace_seconds),
    )


async def revoke_token_family(tx: Tx, family_id: UUID) -> None:
    await tx.execute(QUERIES["revoke_token_family"], tenant_id=tx.tenant_id, family_id=family_id)


async def revoke_family_of_token(tx: Tx, token_hash: bytes, *, user_id: UUID) -> None:
    await tx.execute(
        QUERIES["revoke_family_of_token"],
        tenant_id=tx.tenant_id,
        token_hash=token_hash,
        user_id=user_id,
    )


async def revoke_user_tokens(tx: Tx, user_id: UUID) -> None:
    await tx.execute(QUERIES["revoke_user_tokens"], tenant_id=tx.tenant_id, user_id=user_id)


async def lock_refresh_family(tx: Tx, token_hash: bytes) -> UUID | None:
    """Lock the login family of a token until commit; None for an unknown token."""
    row = await tx.fetchrow(
        QUERIES["lock_refresh_family"], tenant_id=tx.tenant_id, token_hash=token_hash
    )
    return None if row is None else row["family_id"]


async def login_key(tx: Tx, slug: str, email: str) -> tuple[UUID | None, str]:
    """The tenant of ``slug`` and ``email`` normalized as the user lookup compares it."""
    row = await tx.one(QUERIES["login_key"], slug=slug, email=email)
    return row["tenant_id"], row["email_key"]


async def revoke_other_sessions(tx: Tx, user_id: UUID, *, keep_family: UUID | None) -> None:
    await tx.execute(
        QUERIES["revoke_other_sessions"],
        tenant_id=tx.tenant_id,
        user_id=user_id,
        keep_family=keep_family,
    )


async def end_access_tokens(tx: Tx, user_id: UUID) -> None:
    await tx.execute(QUERIES["end_access_tokens"], tenant_id=tx.tenant_id, user_id=user_id)


async def tokens_valid_after(tx: Tx, user_id: UUID) -> float:
    """Epoch seconds before which the user's access tokens are refused (0: none)."""
    value = await tx.fetchval(
        QUERIES["tokens_valid_after"], tenant_id=tx.tenant_id, user_id=user_id
    )
    return float(value or 0.0)


async def insert_password_reset(
    tx: Tx, *, reset_id: UUID, user_id: UUID, token_hash: bytes, ttl_seconds: int
) -> None:
    await tx.execute(
        QUERIES["insert_password_reset"],
        tenant_id=tx.tenant_id,
        reset_id=reset_id,
        user_id=user_id,
        token_hash=token_hash,
        ttl_seconds=float(ttl_seconds),
    )


async def use_password_reset(tx: Tx, token_hash: bytes) -> UUID | None:
    """Spend a live reset token of an active user; its user, or None."""
    value = await tx.fetchval(
        QUERIES["use_password_reset"], tenant_id=tx.tenant_id, token_hash=token_hash
    )
    return value if isinstance(value, UUID) else None


async def end_password_resets(tx: Tx, user_id: UUID) -> None:
    await tx.execute(QUERIES["end_password_resets"], tenant_id=tx.tenant_id, user_id=user_id)
