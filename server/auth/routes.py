from __future__ import annotations

from server.auth import service
from server.auth.schemas import LoginIn, MeOut, RefreshIn, SessionOut
from server.db import Tx
from server.http.api import Api, Call

api = Api()


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
    client = call.request.client.host if call.request.client else "unknown"
    await call.rt.limiter.check_login(body.tenant, body.email, client)
    return await service.login(call.rt.db, call.rt.settings, body)


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
    return await service.refresh(call.rt.db, call.rt.settings, call.body.refresh_token)


@api.route(
    "POST",
    "/v1/auth/logout",
    role="viewer",
    summary="Revoke the login family of a refresh token",
    tag="auth",
    body=RefreshIn,
    status=204,
)
async def logout(call: Call, tx: Tx) -> None:
    await service.logout(tx, call.body.refresh_token)


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
