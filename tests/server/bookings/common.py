"""Shared set-up for booking tests: a tenant with a resource and users of each role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from tests.factories import Tenant, add_user, as_app, auth, signup

DAY = "2030-01-07"  # a Monday


def at(clock: str, day: str = DAY) -> str:
    return f"{day}T{clock}:00Z"


@dataclass
class World:
    client: httpx.AsyncClient
    tenant: Tenant
    resource: dict[str, Any]
    member: dict[str, str]
    member_id: str
    manager: dict[str, str]
    viewer: dict[str, str]

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant.headers

    async def resource_with(self, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/resources", json={"name": "R", "kind": "room", **body}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def book(
        self,
        start: str,
        end: str,
        *,
        headers: dict[str, str] | None = None,
        expect: int | None = 201,
        **extra: Any,
    ) -> httpx.Response:
        body = {"resource_id": self.resource["id"], "start": start, "end": end, **extra}
        response = await self.client.post(
            "/v1/bookings", json=body, headers=headers or self.manager
        )
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def settings(self, **body: Any) -> None:
        """PUT the tenant's settings with ``body`` changed (PUT replaces them all)."""
        current = (await self.client.get("/v1/workflow", headers=self.admin)).json()
        current.pop("updated_at")
        response = await self.client.put(
            "/v1/workflow", json={**current, **body}, headers=self.admin
        )
        assert response.status_code == 200, response.text


async def world(client: httpx.AsyncClient, **resource: Any) -> World:
    tenant = await signup(client)
    member_user, member = await add_user(client, tenant, "member")
    _, manager = await add_user(client, tenant, "manager")
    _, viewer = await add_user(client, tenant, "viewer")
    created = await client.post(
        "/v1/resources", json={"name": "Room", "kind": "room", **resource}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    return World(
        client=client,
        tenant=tenant,
        resource=created.json(),
        member=auth(member),
        member_id=member_user["id"],
        manager=auth(manager),
        viewer=auth(viewer),
    )


async def add_history(conn: Any, w: World, count: int) -> None:
    """``count`` confirmed one-hour bookings of the world's resource from 2031-01-01 on,
    written directly (through the API it would take minutes): a long history the overlap
    checks must not read one by one."""
    await conn.execute(
        "INSERT INTO bookings (tenant_id, id, number, resource_id, requester_id, period,"
        " status) SELECT $1, gen_random_uuid(), 1000000 + g, $2, $3,"
        " tstzrange(timestamptz '2031-01-01' + g * interval '1 hour',"
        " timestamptz '2031-01-01' + (g + 1) * interval '1 hour', '[)'), 'confirmed'"
        " FROM generate_series(1, $4) g",
        UUID(w.tenant.id),
        UUID(w.resource["id"]),
        UUID(w.member_id),
        count,
    )


async def nested_plans(conn: asyncpg.Connection, tenant: UUID, sql: str, *args: Any) -> list[str]:
    """The plans of every statement ``sql`` runs as booking_app in ``tenant``, functions'
    inner ones included (auto_explain, loaded and set as the superuser first)."""
    plans: list[str] = []

    def keep(_conn: Any, message: Any) -> None:
        plans.append(str(message.message))

    await conn.execute(
        "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
        " SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on;"
        " SET client_min_messages = log"
    )
    conn.add_log_listener(keep)
    try:
        async with conn.transaction():
            await as_app(conn, str(tenant))
            await conn.fetchval(sql, *args)
    finally:
        conn.remove_log_listener(keep)
        await conn.execute("RESET client_min_messages; RESET auto_explain.log_min_duration")
    return plans
