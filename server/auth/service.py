"""Token issuing shared by signup, login and refresh."""

from __future__ import annotations

from uuid import UUID

from server.auth.refresh import new_refresh_token
from server.auth.schemas import TokenPair
from server.auth.tokens import issue_access_token
from server.config import Settings
from server.db import Tx


async def issue_tokens(
    tx: Tx, settings: Settings, *, user_id: UUID, role: str, family_id: UUID | None = None
) -> TokenPair:
    refresh = await new_refresh_token(
        tx, user_id=user_id, family_id=family_id, ttl_seconds=settings.refresh_token_ttl
    )
    access = issue_access_token(settings, user_id=user_id, tenant_id=tx.tenant_id, role=role)
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl
    )
