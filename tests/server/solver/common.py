"""A tenant with users of each role, resources and a helper that solves and checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from server.db import Context, Database
from server.solver.verify import Violation, check_tenant
from tests.factories import Tenant, add_user, auth, signup
from tests.server.bookings.common import at

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class World:
    client: httpx.AsyncClient
    tenant: Tenant
    manager: dict[str, str]
    member: dict[str, str]
    member_id: str
    viewer: dict[str, str]

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant.headers

    async def resource(self, name: str = "R", **body: Any) -> str:
        payload = {"name": name, "kind": "person", "working_hours": WEEKDAYS, **body}
        response = await self.client.post("/v1/resources", json=payload, headers=self.admin)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def project(self, **body: Any) -> str:
        response = await self.client.post(
            "/v1/projects", json={"name": "P", **body}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def book(self, resource_id: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
        body = {"resource_id": resource_id, "start": start, "end": end, **extra}
        response = await self.client.post("/v1/bookings", json=body, headers=self.manager)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def solve_raw(
        self, demands: list[dict[str, Any]], headers: dict[str, str] | None = None, **extra: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/schedule/solve",
            json={"demands": demands, **extra},
            headers=headers or self.manager,
        )

    async def solve(self, demands: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """Solve; every answer places every demand once and never fewer than the greedy."""
        response = await self.solve_raw(demands, **extra)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        refs = [a["ref"] for a in data["assignments"]] + [u["ref"] for u in data["unassigned"]]
        assert sorted(refs) == sorted(d["ref"] for d in demands)
        assert len(data["assignments"]) >= data["stats"]["greedy_assigned"]
        return data


async def world(client: httpx.AsyncClient) -> World:
    tenant = await signup(client)
    member_user, member = await add_user(client, tenant, "member")
    _, manager = await add_user(client, tenant, "manager")
    _, viewer = await add_user(client, tenant, "viewer")
    return World(
        client=client,
        tenant=tenant,
        manager=auth(manager),
        member=auth(member),
        member_id=member_user["id"],
        viewer=auth(viewer),
    )


def demand(
    ref: str, duration: str = "PT1H", start: str = "09:00", end: str = "17:00", **extra: Any
) -> dict[str, Any]:
    return {"ref": ref, "duration": duration, "from": at(start), "to": at(end), **extra}


async def violations(db: Database, tenant: Tenant) -> list[Violation]:
    """What ``verify`` finds in this tenant."""
    ctx = Context(tenant_id=uuid.UUID(tenant.id))
    async with db.transaction(ctx, readonly=True) as tx:
        _, found = await check_tenant(tx, tenant.slug, start=None, end=None)
    return found
