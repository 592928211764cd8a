from __future__ import annotations

from server.db import Tx
from server.http.api import Api, Call
from server.pagination import PageQuery
from server.users import service
from server.users.schemas import UserCreate, UserDeactivate, UserOut, UserPage, UserUpdate

api = Api()


@api.route(
    "POST",
    "/v1/users",
    role="admin",
    summary="Create a user",
    tag="users",
    body=UserCreate,
    response=UserOut,
    status=201,
    errors=(409,),
)
async def create_user(call: Call, tx: Tx) -> UserOut:
    return await service.create_user(tx, call.body)


@api.route(
    "GET",
    "/v1/users",
    role="admin",
    summary="List users, oldest first",
    tag="users",
    query=PageQuery,
    response=UserPage,
)
async def list_users(call: Call) -> UserPage:
    query: PageQuery = call.query
    return await call.rt.db.read(call.auth, lambda tx: service.list_users(tx, query))


@api.route(
    "GET", "/v1/users/{user_id}", role="admin", summary="One user", tag="users", response=UserOut
)
async def get_user(call: Call) -> UserOut:
    user_id = call.params["user_id"]
    return await call.rt.db.read(call.auth, lambda tx: service.get_user(tx, user_id))


@api.route(
    "PATCH",
    "/v1/users/{user_id}",
    role="admin",
    summary="Change a user's name or role",
    tag="users",
    body=UserUpdate,
    response=UserOut,
    errors=(409,),
)
async def update_user(call: Call, tx: Tx) -> UserOut:
    user_id = call.params["user_id"]
    body: UserUpdate = call.body
    if body.role is not None:
        # The service ended the user's access tokens; cache the new cut-off at once.
        tx.after_commit.append(lambda: call.rt.revocations.reload(tx.tenant_id, user_id))
    return await service.update_user(tx, user_id, body)


@api.route(
    "DELETE",
    "/v1/users/{user_id}",
    role="admin",
    summary="Deactivate a user (soft delete)",
    tag="users",
    body=UserDeactivate,
    response=UserOut,
    errors=(409,),
)
async def deactivate_user(call: Call, tx: Tx) -> UserOut:
    user_id = call.params["user_id"]
    tx.after_commit.append(lambda: call.rt.revocations.reload(tx.tenant_id, user_id))
    return await service.deactivate_user(tx, user_id, call.body)


@api.route(
    "POST",
    "/v1/users/{user_id}/reactivate",
    role="admin",
    summary="Reactivate a deactivated user",
    tag="users",
    response=UserOut,
)
async def reactivate_user(call: Call, tx: Tx) -> UserOut:
    return await service.reactivate_user(tx, call.params["user_id"])
