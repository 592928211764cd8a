from __future__ import annotations

import logging

from server.auth import recovery, service
from server.auth.schemas import (
    LoginIn,
    MeOut,
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshIn,
    SessionOut,
)
from server.db import Tx
from server.http.api import Api, Call, client_address, request_id
from server.notifications import mailer

api = Api()
log = logging.getLogger(__name__)


@api.route(
    "POST",
    "/v1/auth/login",
    role=None,
    summary="Log in with tenant slug, email and password",
    tag="auth",
    body=LoginIn,
    response=SessionOut,
    errors=(401, 503),
)
async def login(call: Call) -> SessionOut:
    body: LoginIn = call.body
    tenant_id, email_key = await service.login_key(call.rt.db, body.tenant, body.email)
    await call.rt.limiter.check_login(body.tenant, email_key, client_address(call.request))
    return await service.login(
        call.rt.db, call.rt.settings, body, tenant_id=tenant_id, email_key=email_key
    )


@api.route(
    "POST",
    "/v1/auth/refresh",
    role=None,
    summary="Exchange a refresh token for a new pair (single use)",
    tag="auth",
    body=RefreshIn,
    response=SessionOut,
    errors=(401,),
)
async def refresh(call: Call) -> SessionOut:
    await call.rt.limiter.check_refresh(client_address(call.request))
    return await service.refresh(call.rt.db, call.rt.settings, call.body.refresh_token)


@api.route(
    "POST",
    "/v1/auth/logout",
    role="viewer",
    summary="End this access token and the login family of a refresh token",
    tag="auth",
    body=RefreshIn,
    status=204,
)
async def logout(call: Call, tx: Tx) -> None:
    ended = await call.rt.revocations.end_token(call.auth)
    user_id = call.auth.user_id
    if not ended and user_id is not None:
        tx.after_commit.append(lambda: call.rt.revocations.reload(tx.tenant_id, user_id))
    await service.logout(tx, call.body.refresh_token, access_token_ended=ended)


@api.route(
    "POST",
    "/v1/auth/password",
    role="viewer",
    summary="Change the caller's password; their other sessions end",
    tag="auth",
    body=PasswordChange,
    status=204,
    transactional=False,
    errors=(401,),
)
async def change_password(call: Call) -> None:
    await recovery.change_password(call.rt.db, call.auth, call.body)


@api.route(
    "POST",
    "/v1/auth/password-reset",
    role=None,
    summary="Email a single-use password reset token (same answer for unknown accounts)",
    tag="auth",
    body=PasswordResetRequest,
    response=PasswordResetAccepted,
    status=202,
    errors=(503,),
)
async def request_password_reset(call: Call) -> PasswordResetAccepted:
    body: PasswordResetRequest = call.body
    tenant_id, email_key = await service.login_key(call.rt.db, body.tenant, body.email)
    await call.rt.limiter.check_password_reset(client_address(call.request), body.tenant, email_key)
    message = await recovery.request_reset(
        call.rt.db, tenant_id=tenant_id, email_key=email_key, request_id=request_id(call.request)
    )
    if message is not None:
        settings = call.rt.settings
        call.rt.spawn(_send(settings.smtp_url, settings.mail_from, message))
    return PasswordResetAccepted(
        detail="If the account exists, a reset token is on its way by email"
    )


async def _send(smtp_url: str | None, sender: str, message: mailer.Message) -> None:
    try:
        await mailer.send(smtp_url, sender, message)
    except mailer.DeliveryError as exc:
        log.warning("password reset mail to %s failed: %s", message.to, exc)


@api.route(
    "POST",
    "/v1/auth/password-reset/confirm",
    role=None,
    summary="Set a new password with a reset token; every token of the user ends",
    tag="auth",
    body=PasswordResetConfirm,
    status=204,
    errors=(400, 503),
)
async def confirm_password_reset(call: Call) -> None:
    await call.rt.limiter.check_reset_confirm(client_address(call.request))
    tenant_id, user_id = await recovery.confirm_reset(
        call.rt.db, call.body, request_id=request_id(call.request)
    )
    await call.rt.revocations.reload(tenant_id, user_id)


@api.route(
    "GET",
    "/v1/me",
    role="viewer",
    summary="The caller and their tenant",
    tag="auth",
    response=MeOut,
)
async def me(call: Call) -> MeOut:
    return await service.me(call.rt.db, call.auth)
