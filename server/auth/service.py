"""Sessions: login, refresh-token rotation with reuse detection, logout, and who am I."""

from __future__ import annotations

import uuid
from uuid import UUID

from server import errors
from server.auth import queries
from server.auth.opaque import digest as token_hash
from server.auth.passwords import hash_password, needs_rehash, verify_password
from server.auth.refresh import new_refresh_token, parse_tenant
from server.auth.schemas import LoginIn, MeOut, SessionOut, TokenPair
from server.auth.tokens import issue_access_token
from server.config import Settings
from server.db import Context, Database, Tx
from server.tenants import queries as tenants
from server.tenants.schemas import TenantOut
from server.users import queries as users
from server.users.schemas import UserOut
from server.users.service import user_out


class InvalidCredentials(errors.Unauthorized):
    code, title = "invalid_credentials", "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("The tenant, email or password is wrong")


class TokenReused(errors.Unauthorized):
    code, title = "token_reused", "Refresh token reused"

    def __init__(self) -> None:
        super().__init__("This refresh token was already used; every session of it is revoked")


def _expired() -> errors.Unauthorized:
    return errors.Unauthorized("The refresh token is invalid, expired or revoked")


async def issue_tokens(
    tx: Tx, settings: Settings, *, user_id: UUID, role: str, family_id: UUID | None = None
) -> TokenPair:
    family = family_id or uuid.uuid4()
    refresh = await new_refresh_token(
        tx, user_id=user_id, family_id=family, ttl_seconds=settings.refresh_token_ttl
    )
    access = issue_access_token(
        settings, user_id=user_id, tenant_id=tx.tenant_id, role=role, family_id=family
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl
    )


def _session(tokens: TokenPair, user: UserOut) -> SessionOut:
    return SessionOut(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=user,
    )


async def login_key(db: Database, tenant: str, email: str) -> tuple[UUID | None, str]:
    """The tenant of a slug and the email normalized once, by PostgreSQL's ``lower``: the
    per-account rate limit keys on it and the user lookup compares it, so two spellings
    of one address can never get two buckets."""
    return await db.read(None, lambda tx: queries.login_key(tx, tenant, email))


async def login(
    db: Database, settings: Settings, body: LoginIn, *, tenant_id: UUID | None, email_key: str
) -> SessionOut:
    """Tokens for a matching active user; any mismatch is the same 401 in about the same time.

    The caller checks the login rate limits first, keyed on ``login_key``.
    """
    row = None
    if tenant_id is not None:
        ctx = Context(tenant_id=tenant_id)
        row = await db.read(ctx, lambda tx: users.get_user_by_email(tx, email_key))
    stored = row["password_hash"] if row is not None else None
    # Always one argon2 verification: a dummy hash when there is no such user.
    if not await verify_password(stored, body.password):
        raise InvalidCredentials()
    assert row is not None and tenant_id is not None and stored is not None
    if row["deactivated_at"] is not None:
        raise InvalidCredentials()
    rehashed = await hash_password(body.password) if needs_rehash(stored) else None
    user_id: UUID = row["id"]

    async def work(tx: Tx) -> SessionOut:
        # Share lock: a deactivation committing meanwhile waits, or we see it and refuse.
        active = await users.lock_active_user(tx, user_id)
        if active is None:
            raise InvalidCredentials()
        if rehashed is not None:
            await users.set_password_hash(tx, user_id, rehashed)
        tokens = await issue_tokens(tx, settings, user_id=user_id, role=active["role"])
        return _session(tokens, user_out(active))

    return await db.run(Context(tenant_id=tenant_id, user_id=user_id), work)


async def refresh(db: Database, settings: Settings, token: str) -> SessionOut:
    """Rotate a refresh token: single use, with a short grace for concurrent retries.

    A token used again after the grace revokes its whole family and answers 401
    ``token_reused``; the revocation commits before the error is raised.
    """
    tenant_id = parse_tenant(token)
    if tenant_id is None:
        raise _expired()
    digest = token_hash(token)

    async def work(tx: Tx) -> SessionOut | errors.AppError:
        # One refresh of a family at a time: a reuse revoking the family must see the
        # token a concurrent refresh adds to it, and that refresh must see the revocation.
        if await queries.lock_refresh_family(tx, digest) is None:
            return _expired()
        spent = await queries.use_refresh_token(tx, digest)
        if spent is None:
            state = await queries.get_refresh_token(
                tx, digest, grace_seconds=settings.refresh_reuse_grace
            )
            if state is None or state["expired"]:
                return _expired()
            if state["revoked_at"] is not None:
                return TokenReused() if state["used_at"] is not None else _expired()
            if not state["in_grace"]:
                await queries.revoke_token_family(tx, state["family_id"])
                return TokenReused()
            # A concurrent retry of the same token (two tabs, a lost response): another
            # pair in the same family rather than logging the user out.
            spent = state
        user = await users.lock_active_user(tx, spent["user_id"])
        if user is None:
            await queries.revoke_token_family(tx, spent["family_id"])
            return _expired()
        tokens = await issue_tokens(
            tx, settings, user_id=user["id"], role=user["role"], family_id=spent["family_id"]
        )
        return _session(tokens, user_out(user))

    result = await db.run(Context(tenant_id=tenant_id), work)
    if isinstance(result, errors.AppError):
        raise result
    return result


async def logout(tx: Tx, token: str, *, access_token_ended: bool) -> None:
    """Revoke the login family of one of the caller's refresh tokens (unknown ones are
    ignored). The caller ends the access token itself in Redis; when that failed
    (``access_token_ended`` false), every access token of the user ends instead."""
    assert tx.ctx.user_id is not None
    if parse_tenant(token) == tx.tenant_id:
        await queries.revoke_family_of_token(tx, token_hash(token), user_id=tx.ctx.user_id)
    if not access_token_ended:
        await queries.end_access_tokens(tx, tx.ctx.user_id)


async def me(db: Database, ctx: Context) -> MeOut:
    """The caller and their tenant."""
    assert ctx.user_id is not None
    user_id = ctx.user_id

    async def work(tx: Tx) -> MeOut:
        user = await users.get_user(tx, user_id)
        tenant = await tenants.get_tenant(tx)
        if user is None or tenant is None:
            raise errors.Unauthorized("The access token is missing, invalid or expired")
        return MeOut(user=user_out(user), tenant=TenantOut(**dict(tenant)))

    return await db.read(ctx, work)
