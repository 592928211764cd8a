from __future__ import annotations

from server.http.api import Api, Call, client_address, request_id
from server.tenants import service
from server.tenants.schemas import SignupOut, TenantCreate

api = Api()


@api.route(
    "POST",
    "/v1/tenants",
    role=None,
    summary="Create a tenant and its first admin",
    tag="tenants",
    body=TenantCreate,
    response=SignupOut,
    status=201,
    errors=(400, 403, 409, 413, 422, 503),
)
async def create_tenant(call: Call) -> SignupOut:
    token = call.request.headers.get("x-platform-token")
    service.check_signup_allowed(call.rt.settings, token)
    # Each signup hashes a password (19 MiB of argon2): limited per client address.
    await call.rt.limiter.check_signup(client_address(call.request))
    return await service.create_tenant(
        call.rt.db, call.rt.settings, call.body, request_id=request_id(call.request)
    )
