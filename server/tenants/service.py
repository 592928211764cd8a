"""Tenants: signup creates the tenant and its first admin in one transaction."""

from __future__ import annotations

import hmac
import uuid
from typing import Any

import asyncpg

from server import errors
from server.auth.passwords import check_policy, hash_password
from server.auth.service import issue_tokens
from server.config import Settings
from server.db import Context, Database, Tx
from server.tenants import queries
from server.tenants.schemas import SignupOut, TenantCreate, TenantOut
from server.timezones import check_zone
from server.users.schemas import UserCreate
from server.users.service import insert_user


def tenant_out(row: asyncpg.Record | dict[str, Any]) -> TenantOut:
    return TenantOut(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        timezone=row["timezone"],
        created_at=row["created_at"],
    )


def check_signup_allowed(settings: Settings, platform_token: str | None) -> None:
    if settings.signup == "open":
        return
    expected = settings.platform_token
    if not expected or not platform_token:
        raise errors.Forbidden("Signup is closed; a platform token is required")
    if not hmac.compare_digest(expected.encode(), platform_token.encode()):
        raise errors.Forbidden("Signup is closed; a platform token is required")


async def create_tenant(
    db: Database, settings: Settings, body: TenantCreate, *, request_id: str = "-"
) -> SignupOut:
    check_zone(body.timezone)
    check_policy(body.admin.password, field="admin.password")
    password_hash = await hash_password(body.admin.password)
    ctx = Context(tenant_id=uuid.uuid4(), request_id=request_id)

    async def work(tx: Tx) -> SignupOut:
        tenant = await queries.insert_tenant(
            tx, name=body.name, slug=body.slug, timezone=body.timezone
        )
        admin = UserCreate(
            email=body.admin.email,
            name=body.admin.name,
            role="admin",
            password=body.admin.password,
        )
        user = await insert_user(tx, admin, password_hash=password_hash)
        tokens = await issue_tokens(tx, settings, user_id=user.id, role=user.role)
        return SignupOut(
            tenant=tenant_out(tenant),
            user=user,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )

    return await db.run(ctx, work)
