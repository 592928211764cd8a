"""Holds: create, conflicts, confirm, release, exact expiry, the sweeper, races."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from server import errors
from server.db import Context, Database, Tx
from server.holds import service as holds
from tests.server.bookings.common import at, world
from tests.server.scheduling.helpers import events, expire_soon, head, hold, overlaps

SHAPE = {"id", "resource_id", "start", "end", "holder_id", "expires_at", "created_at"}


async def test_create_blocks_like_a_booking(client: httpx.AsyncClient) -> None:
    w = await world(client)
    before = datetime.now(UTC)
    created = (await hold(w, at("10:00"), at("11:00"), ttl="PT5M")).json()
    assert set(created) == SHAPE and created["holder_id"] == w.member_id
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(minutes=5) <= expires - before < timedelta(minutes=5, seconds=10)
    refused = await w.book(at("10:30"), at("11:30"), expect=409)
    assert refused.json()["conflicts"] == [
        {"id": created["id"], "number": None, "start": created["start"],
         "end": created["end"], "status": "held"}]  # fmt: skip
    other = await hold(w, at("09:00"), at("10:30"), headers=w.manager, expect=409)
    assert other.json()["conflicts"][0]["status"] == "held"
    booking = (await w.book(at("11:00"), at("12:00"))).json()
    clash = await hold(w, at("11:30"), at("12:30"), expect=409)
    assert clash.json()["conflicts"][0]["id"] == booking["id"]
    listed = await w.client.get(f"/v1/holds?resource_id={w.resource['id']}", headers=w.viewer)
    assert [h["id"] for h in listed.json()["items"]] == [created["id"]]


async def test_ttl_and_roles(client: httpx.AsyncClient) -> None:
    w = await world(client)
    for ttl in ("PT30S", "PT2H", "P1M", "soon"):
        bad = await hold(w, at("10:00"), at("11:00"), ttl=ttl, expect=422)
        assert bad.json()["errors"][0]["field"] == "ttl", ttl
    assert await hold(w, at("10:00"), at("11:00"), headers=w.viewer, expect=403)
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    _, other_member = await __import__("tests.factories", fromlist=["add_user"]).add_user(
        client, w.tenant, "member"
    )
    headers = {"Authorization": f"Bearer {other_member}"}
    assert (await client.delete(f"/v1/holds/{h['id']}", headers=headers)).status_code == 403
    confirm = await client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=headers)
    assert confirm.status_code == 403
    assert (await client.delete(f"/v1/holds/{h['id']}", headers=w.manager)).status_code == 204
    assert (await client.delete(f"/v1/holds/{h['id']}", headers=w.manager)).status_code == 410
    missing = await client.delete(f"/v1/holds/{UUID(int=5)}", headers=w.manager)
    assert missing.status_code == 404


async def test_confirm_makes_the_booking_and_ends_the_hold(client: httpx.AsyncClient) -> None:
    w = await world(client)
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    seq = await head(w)
    confirmed = await client.post(
        f"/v1/holds/{h['id']}/confirm", json={"title": "Kick-off"}, headers=w.member
    )
    assert confirmed.status_code == 201, confirmed.text
    booking = confirmed.json()
    assert (booking["start"], booking["end"], booking["title"]) == (h["start"], h["end"],
                                                                  "Kick-off")  # fmt: skip
    assert booking["requester_id"] == w.member_id and booking["status"] == "confirmed"
    got = [(e["type"], e["data"].get("reason"), e["data"].get("booking_id"))
           for e in await events(w, seq)]  # fmt: skip
    assert got == [("booking.created", None, None),
                   ("hold.released", "confirmed", booking["id"])]  # fmt: skip
    again = await client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=w.member)
    assert again.status_code == 410 and again.json()["code"] == "hold_expired"
    listed = await client.get("/v1/holds", headers=w.viewer)
    assert listed.json()["items"] == []


async def test_confirm_follows_booking_rules(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await w.settings(approval_required=True, escalate_after=None, expire_after=None,
                     remind_before=None, auto_complete=False)  # fmt: skip
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    refused = await client.post(
        f"/v1/holds/{h['id']}/confirm", json={"status": "confirmed"}, headers=w.member
    )
    assert refused.status_code == 403
    pending = await client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=w.member)
    assert pending.status_code == 201 and pending.json()["status"] == "pending"


async def test_expiry_is_exact_without_a_worker(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    await expire_soon(db, w, h["id"], 1.0)
    deadline = time.monotonic() + 1.0
    await w.book(at("10:00"), at("11:00"), expect=409)
    await asyncio.sleep(max(0.0, deadline - time.monotonic()) + 0.05)
    await w.book(at("10:00"), at("11:00"))  # no worker has run: the clock decides
    late = await client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=w.member)
    assert late.status_code == 410


async def test_new_hold_replaces_an_expired_one(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    old = (await hold(w, at("10:00"), at("11:00"))).json()
    await expire_soon(db, w, old["id"], 0.0)
    seq = await head(w)
    new = (await hold(w, at("10:30"), at("11:30"), headers=w.manager)).json()
    got = [(e["type"], e["data"]["id"], e["data"].get("reason")) for e in await events(w, seq)]
    assert got == [("hold.released", old["id"], "expired"), ("hold.created", new["id"], None)]


async def test_sweeper_releases_expired_holds_once(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    live = (await hold(w, at("12:00"), at("13:00"))).json()
    await expire_soon(db, w, h["id"], 0.0)
    seq = await head(w)
    tenant = UUID(w.tenant.id)
    assert await holds.expire_hold(db, tenant, UUID(live["id"])) == "not_due"
    await holds.sweep(db, deadline=time.monotonic() + 10)
    assert await holds.expire_hold(db, tenant, UUID(h["id"])) == "skipped"
    got = [(e["type"], e["data"]["id"], e["data"]["reason"]) for e in await events(w, seq)]
    assert got == [("hold.released", h["id"], "expired")]


async def test_confirm_race_leaves_no_gap(client: httpx.AsyncClient, db: Database) -> None:
    w = await world(client)
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    confirm = client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=w.member)
    rivals = [w.book(at("10:00"), at("11:00"), expect=None) for _ in range(10)]
    second = client.post(f"/v1/holds/{h['id']}/confirm", json={}, headers=w.manager)
    responses = await asyncio.gather(confirm, second, *rivals)
    codes = [r.status_code for r in responses]
    assert sorted(codes[:2]) == [201, 410], codes
    assert set(codes[2:]) == {409}, codes
    assert await overlaps(db, w.tenant.id) == []


async def test_concurrent_holds_bookings_and_time_off_never_overlap(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)

    async def attempt(i: int) -> int:
        start, end = at(f"{9 + i % 4:02}:{(i * 15) % 60:02}"), at(f"{10 + i % 4:02}:30")
        if i % 3 == 0:
            response = await hold(w, start, end, expect=None)
        elif i % 3 == 1:
            response = await w.book(start, end, expect=None)
        else:
            response = await w.client.post(
                f"/v1/resources/{w.resource['id']}/time-off",
                json={"start": start, "end": end}, headers=w.manager,
            )  # fmt: skip
        assert response.status_code in (201, 409), response.text
        return response.status_code

    codes = await asyncio.gather(*(attempt(i) for i in range(36)))
    assert 201 in codes and 409 in codes
    assert await overlaps(db, w.tenant.id) == []


async def test_idempotency_key_on_hold_and_series_writes(client: httpx.AsyncClient) -> None:
    w = await world(client)
    body = {"resource_id": w.resource["id"], "start": at("10:00"), "end": at("11:00")}
    headers = {**w.member, "Idempotency-Key": "hold-1"}
    first = await client.post("/v1/holds", json=body, headers=headers)
    again = await client.post("/v1/holds", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = await client.post("/v1/holds", json={**body, "ttl": "PT2M"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    hold_id = first.json()["id"]
    confirm_headers = {**w.member, "Idempotency-Key": "confirm-1"}
    made = await client.post(f"/v1/holds/{hold_id}/confirm", json={}, headers=confirm_headers)
    replay = await client.post(f"/v1/holds/{hold_id}/confirm", json={}, headers=confirm_headers)
    assert made.status_code == replay.status_code == 201 and made.json() == replay.json()
    series_body = {"resource_id": w.resource["id"], "start": at("13:00"), "end": at("14:00"),
                   "recurrence": {"freq": "daily", "count": 3}}  # fmt: skip
    series_headers = {**w.manager, "Idempotency-Key": "series-1"}
    one = await client.post("/v1/series", json=series_body, headers=series_headers)
    two = await client.post("/v1/series", json=series_body, headers=series_headers)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    listed = await client.get(f"/v1/bookings?resource_id={w.resource['id']}", headers=w.viewer)
    assert len(listed.json()["items"]) == 4


async def test_members_hold_inside_working_hours(client: httpx.AsyncClient) -> None:
    w = await world(client, working_hours={"mon": [["09:00", "12:00"]]})
    outside = await hold(w, at("11:30"), at("12:30"), expect=422)
    assert outside.json()["code"] == "outside_working_hours"
    await hold(w, at("11:30"), at("12:30"), headers=w.manager)


async def test_live_holds_never_overlap_in_the_database(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    h = (await hold(w, at("10:00"), at("11:00"))).json()

    async def insert(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO holds (tenant_id, id, resource_id, holder_id, period, expires_at)"
            " VALUES ($1, gen_random_uuid(), $2, $3, tstzrange($4, $5, '[)'),"
            " now() + interval '1 minute')",
            tx.tenant_id, UUID(w.resource["id"]), UUID(h["holder_id"]),
            datetime.fromisoformat(at("10:30")), datetime.fromisoformat(at("11:30")),
        )  # fmt: skip

    with pytest.raises(errors.BookingConflict):
        await db.run(Context(tenant_id=UUID(w.tenant.id)), insert)
