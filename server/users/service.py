"""Users of a tenant: create, list, read, change, deactivate, each audited.

Users have no event type in the contract, so their changes write an audit entry only
and take no event ``seq``. Two guards keep a tenant manageable: the last active admin
cannot be demoted or deactivated (409 ``last_admin``), and nobody deactivates
themselves (409 ``self_deactivation``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from server import errors
from server.audit.queries import insert_audit
from server.auth import queries as auth_queries
from server.auth.passwords import check_policy, hash_password
from server.db import Tx
from server.events.service import diff
from server.pagination import PageQuery, decode_key, page
from server.users import queries
from server.users.schemas import UserCreate, UserDeactivate, UserOut, UserPage, UserUpdate


class LastAdmin(errors.Conflict):
    code, title = "last_admin", "Last admin"

    def __init__(self) -> None:
        super().__init__("The tenant's last active admin cannot be demoted or deactivated")


class SelfDeactivation(errors.Conflict):
    code, title = "self_deactivation", "Cannot deactivate yourself"

    def __init__(self) -> None:
        super().__init__("Users cannot deactivate themselves; ask another admin")


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


def _not_found() -> errors.NotFound:
    return errors.NotFound("No such user")


async def _audit(tx: Tx, action: str, before: UserOut | None, after: UserOut) -> None:
    old = msgspec.to_builtins(before) if before is not None else None
    new = msgspec.to_builtins(after)
    await insert_audit(
        tx,
        action=action,
        entity_type="user",
        entity_id=after.id,
        before=old,
        after=new,
        diff=diff(old, new),
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


async def create_user(tx: Tx, body: UserCreate) -> UserOut:
    """Create a user of the tenant (409 ``email_taken``, 422 ``weak_password``)."""
    user = await insert_user(tx, body)
    await _audit(tx, "user.created", None, user)
    return user


async def list_users(tx: Tx, query: PageQuery) -> UserPage:
    """Users ordered by creation, keyset-paginated."""
    after = decode_key(query.cursor, tuple[datetime, UUID])
    rows = await queries.list_users(tx, after=after, limit=query.limit + 1)
    items, next_cursor = page(
        [user_out(r) for r in rows], query.limit, key=lambda u: [u.created_at, u.id]
    )
    return UserPage(items=items, next_cursor=next_cursor)


async def get_user(tx: Tx, user_id: UUID) -> UserOut:
    row = await queries.get_user(tx, user_id)
    if row is None:
        raise _not_found()
    return user_out(row)


def _check_admins_left(admins: list[UUID], user: UserOut) -> None:
    if user.is_active and user.id in admins and len(admins) <= 1:
        raise LastAdmin()


async def update_user(tx: Tx, user_id: UUID, body: UserUpdate) -> UserOut:
    """Change name and/or role; demoting the last active admin is 409 ``last_admin``."""
    demoting = body.role is not None and body.role != "admin"
    # Admins are locked before the user row, always in id order, so demotions queue.
    admins = await queries.lock_active_admins(tx) if demoting else []
    row = await queries.get_user_for_update(tx, user_id)
    if row is None:
        raise _not_found()
    before = user_out(row)
    if demoting:
        _check_admins_left(admins, before)
    if body.name in (None, before.name) and body.role in (None, before.role):
        return before
    updated = await queries.update_user(tx, user_id, name=body.name, role=body.role)
    assert updated is not None
    if body.role not in (None, before.role):
        # Tokens carry the role: the old ones must not keep the old rights.
        await auth_queries.end_access_tokens(tx, user_id)
    after = user_out(updated)
    await _audit(tx, "user.updated", before, after)
    return after


async def deactivate_user(tx: Tx, user_id: UUID, body: UserDeactivate) -> UserOut:
    """Soft-delete a user and revoke their refresh tokens; already inactive is a no-op."""
    if user_id == tx.ctx.user_id:
        raise SelfDeactivation()
    admins = await queries.lock_active_admins(tx)
    row = await queries.get_user_for_update(tx, user_id)
    if row is None:
        raise _not_found()
    before = user_out(row)
    if not before.is_active:
        return before
    _check_admins_left(admins, before)
    updated = await queries.deactivate_user(tx, user_id, reason=body.reason)
    assert updated is not None
    await auth_queries.revoke_user_tokens(tx, user_id)
    await auth_queries.end_access_tokens(tx, user_id)
    after = user_out(updated)
    await _audit(tx, "user.deactivated", before, after)
    return after


async def reactivate_user(tx: Tx, user_id: UUID) -> UserOut:
    """Undo a soft delete; the user logs in again (their old tokens stay ended)."""
    row = await queries.get_user_for_update(tx, user_id)
    if row is None:
        raise _not_found()
    before = user_out(row)
    if before.is_active:
        return before
    updated = await queries.reactivate_user(tx, user_id)
    assert updated is not None
    after = user_out(updated)
    await _audit(tx, "user.reactivated", before, after)
    return after
