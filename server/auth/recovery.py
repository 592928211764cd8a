"""Passwords after signup: change (signed in) and reset by email with a single-use token.

Reset tokens are ``pr_<tenant hex>_<secret>``, stored as SHA-256 hashes, valid for one
hour, spent on first use; a reset ends every refresh and access token of the user.
A reset request answers the same whether or not the account exists; the message goes out
after the answer, so its timing tells nothing either.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from server import errors
from server.audit.queries import insert_audit
from server.auth import queries
from server.auth.opaque import digest, issue, tenant_of
from server.auth.passwords import check_policy, hash_password, verify_password
from server.auth.schemas import PasswordChange, PasswordResetConfirm
from server.auth.service import InvalidCredentials
from server.db import Context, Database, Tx
from server.notifications.mailer import Message
from server.users import queries as users

PREFIX = "pr_"
RESET_TTL_SECONDS = 3600


class InvalidToken(errors.BadRequest):
    code, title = "invalid_token", "Invalid token"

    def __init__(self) -> None:
        super().__init__("The reset token is unknown, used or expired")


async def _audit(tx: Tx, action: str, user_id: UUID) -> None:
    # The hash is no one's business: the entry records that it changed, not what to.
    await insert_audit(
        tx, action=action, entity_type="user", entity_id=user_id, before=None, after=None, diff={}
    )


async def change_password(db: Database, ctx: Context, body: PasswordChange) -> None:
    """New password for the caller; their other sessions end, this one goes on."""
    assert ctx.user_id is not None
    user_id = ctx.user_id
    stored = await db.read(ctx, lambda tx: users.get_password_hash(tx, user_id))
    if not await verify_password(stored, body.current_password):
        raise InvalidCredentials()
    check_policy(body.new_password, field="new_password")
    hashed = await hash_password(body.new_password)

    async def work(tx: Tx) -> None:
        if await users.lock_active_user(tx, user_id) is None:
            raise InvalidCredentials()
        await users.set_password_hash(tx, user_id, hashed)
        await queries.revoke_other_sessions(tx, user_id, keep_family=ctx.family_id)
        await queries.end_password_resets(tx, user_id)
        await _audit(tx, "user.password_changed", user_id)

    await db.run(ctx, work)


async def request_reset(
    db: Database, *, tenant_id: UUID | None, email_key: str, request_id: str
) -> Message | None:
    """A reset token for an active user, and the message carrying it (None: no such user)."""
    if tenant_id is None:
        return None

    async def work(tx: Tx) -> Message | None:
        row = await users.get_user_by_email(tx, email_key)
        if row is None or row["deactivated_at"] is not None:
            return None
        token = issue(PREFIX, tenant_id)
        await queries.insert_password_reset(
            tx,
            reset_id=uuid.uuid4(),
            user_id=row["id"],
            token_hash=digest(token),
            ttl_seconds=RESET_TTL_SECONDS,
        )
        return Message(
            to=row["email"],
            subject="Reset your password",
            body=(
                f"Hello {row['name']},\n\n"
                "someone asked to reset the password of your booking account. If it was"
                " you, send this token with a new password to"
                " POST /v1/auth/password-reset/confirm within one hour:\n\n"
                f"{token}\n\n"
                "The token works once. If you did not ask for this, ignore this message;"
                " your password stays as it is.\n"
            ),
        )

    return await db.run(Context(tenant_id=tenant_id, request_id=request_id), work)


async def confirm_reset(
    db: Database, body: PasswordResetConfirm, *, request_id: str
) -> tuple[UUID, UUID]:
    """Set the new password and end every token of the user; (tenant id, user id)."""
    tenant_id = tenant_of(body.token, PREFIX)
    if tenant_id is None:
        raise InvalidToken()
    check_policy(body.password)
    hashed = await hash_password(body.password)
    token_digest = digest(body.token)

    async def work(tx: Tx) -> UUID:
        user_id = await queries.use_password_reset(tx, token_digest)
        if user_id is None:
            raise InvalidToken()
        await users.set_password_hash(tx, user_id, hashed)
        await queries.revoke_user_tokens(tx, user_id)
        await queries.end_access_tokens(tx, user_id)
        await queries.end_password_resets(tx, user_id)
        await _audit(tx, "user.password_reset", user_id)
        return user_id

    ctx = Context(tenant_id=tenant_id, request_id=request_id)
    return tenant_id, await db.run(ctx, work)
