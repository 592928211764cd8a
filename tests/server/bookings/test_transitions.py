from uuid import UUID

import httpx
import pytest

from server.bookings import transitions
from server.bookings.schemas import BookingOut
from server.db import Context, Database, Tx
from server.errors import InvalidTransition
from tests.server.bookings.common import at, world


async def test_approve_reject_cancel_complete(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await w.settings(approval_required=True)
    a = (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()
    b = (await w.book(at("09:00"), at("10:00"), headers=w.member)).json()
    denied = await client.post(f"/v1/bookings/{a['id']}/approve", headers=w.member)
    assert denied.status_code == 403
    approved = await client.post(
        f"/v1/bookings/{a['id']}/approve", json={"reason": "ok"}, headers=w.manager
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"
    assert approved.json()["version"] == 2
    assert approved.json()["status_reason"] == "ok"
    assert approved.json()["series_id"] is None
    assert a["status_reason"] is None
    again = await client.post(f"/v1/bookings/{a['id']}/approve", headers=w.manager)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    rejected = await client.post(f"/v1/bookings/{b['id']}/reject", headers=w.manager)
    assert rejected.json()["status"] == "rejected"
    assert (await client.post(f"/v1/bookings/{b['id']}/cancel", headers=w.manager)).status_code == (
        409
    )
    completed = await client.post(f"/v1/bookings/{a['id']}/complete", headers=w.manager)
    assert completed.json()["status"] == "completed"
    assert completed.json()["version"] == 3
    assert completed.json()["status_reason"] is None  # the last transition gave none
    got = await client.get(f"/v1/bookings/{a['id']}", headers=w.viewer)
    assert got.json() == completed.json()
    cancel_done = await client.post(f"/v1/bookings/{a['id']}/cancel", headers=w.manager)
    assert cancel_done.json()["code"] == "invalid_transition"
    events = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["events"]
    booking_events = [e for e in events if e["type"].startswith("booking.")]
    assert [e["type"] for e in booking_events] == [
        "booking.created",
        "booking.created",
        "booking.approved",
        "booking.rejected",
        "booking.completed",
    ]
    assert booking_events[-1]["data"] == completed.json()


async def test_members_cancel_only_their_own(client: httpx.AsyncClient) -> None:
    w = await world(client)
    mine = (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()
    theirs = (await w.book(at("09:00"), at("10:00"), headers=w.manager)).json()
    forbidden = await client.post(f"/v1/bookings/{theirs['id']}/cancel", headers=w.member)
    assert forbidden.status_code == 403
    viewer = await client.post(f"/v1/bookings/{mine['id']}/cancel", headers=w.viewer)
    assert viewer.status_code == 403
    done = await client.post(
        f"/v1/bookings/{mine['id']}/cancel", json={"reason": "ill"}, headers=w.member
    )
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    assert (await client.post(f"/v1/bookings/{theirs['id']}/cancel", headers=w.manager)).json()[
        "status"
    ] == "cancelled"


async def test_assign(client: httpx.AsyncClient) -> None:
    w = await world(client)
    other = await w.resource_with(name="Other")
    busy = (await w.book(at("08:00"), at("09:00"), resource_id=other["id"])).json()
    a = (await w.book(at("08:00"), at("09:00"))).json()
    conflict = await client.post(
        f"/v1/bookings/{a['id']}/assign", json={"resource_id": other["id"]}, headers=w.manager
    )
    assert conflict.status_code == 409
    assert [c["id"] for c in conflict.json()["conflicts"]] == [busy["id"]]
    await client.post(f"/v1/bookings/{busy['id']}/cancel", headers=w.manager)
    member = await client.post(
        f"/v1/bookings/{a['id']}/assign", json={"resource_id": other["id"]}, headers=w.member
    )
    assert member.status_code == 403
    missing = await client.post(f"/v1/bookings/{a['id']}/assign", json={}, headers=w.manager)
    assert missing.status_code == 422
    moved = await client.post(
        f"/v1/bookings/{a['id']}/assign", json={"resource_id": other["id"]}, headers=w.manager
    )
    assert moved.status_code == 200
    assert moved.json()["resource_id"] == other["id"]
    events = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["events"]
    assert events[-1]["type"] == "booking.updated"


@pytest.mark.parametrize("action", ["approve", "reject", "cancel", "complete"])
async def test_unknown_and_foreign_ids(client: httpx.AsyncClient, action: str) -> None:
    w = await world(client)
    other = await world(client)
    theirs = (await other.book(at("08:00"), at("09:00"))).json()
    for booking_id in (theirs["id"], "00000000-0000-0000-0000-000000000000", "nope"):
        response = await client.post(f"/v1/bookings/{booking_id}/{action}", headers=w.manager)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    got = await client.get(f"/v1/bookings/{theirs['id']}", headers=w.manager)
    assert got.status_code == 404
    assign = await client.post(
        f"/v1/bookings/{theirs['id']}/assign", json={"resource_id": w.resource["id"]},
        headers=w.manager,
    )  # fmt: skip
    assert assign.status_code == 404
    mine = (await w.book(at("08:00"), at("09:00"))).json()
    assign = await client.post(
        f"/v1/bookings/{mine['id']}/assign", json={"resource_id": other.resource["id"]},
        headers=w.manager,
    )  # fmt: skip
    assert assign.status_code == 404


async def test_job_transition_is_guarded(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    await w.settings(approval_required=True)
    b = (await w.book(at("08:00"), at("09:00"), headers=w.member)).json()
    ctx = Context(tenant_id=UUID(w.tenant.id))

    async def expire(tx: Tx) -> BookingOut:
        return await transitions.transition(
            tx, UUID(b["id"]), "expire", expected_status="pending", expected_version=1
        )

    expired = await db.run(ctx, expire)
    assert expired.status == "expired"
    with pytest.raises(InvalidTransition):
        await db.run(ctx, expire)
    events = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["events"]
    assert events[-1]["type"] == "booking.expired"
    assert events[-1]["actor_id"] is None
