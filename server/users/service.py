"""Users of a tenant."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from server.auth.passwords import check_policy, hash_password
from server.db import Tx
from server.users import queries
from server.users.schemas import UserCreate, UserOut


def user_out(row: asyncpg.Record | dict[str, Any]) -> UserOut:
    return UserOut(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        is_active=row["deactivated_at"] is None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deactivated_at=row["deactivated_at"],
        deactivated_by=row["deactivated_by"],
        deactivation_reason=row["deactivation_reason"],
    )


async def insert_user(tx: Tx, body: UserCreate, *, password_hash: str | None = None) -> UserOut:
    """Insert a user; the caller checks permissions. Hashes unless given a hash."""
    check_policy(body.password)
    hashed = password_hash or await hash_password(body.password)
    row = await queries.insert_user(
        tx,
        user_id=uuid.uuid4(),
        email=body.email,
        name=body.name,
        role=body.role,
        password_hash=hashed,
    )
    return user_out(row)
