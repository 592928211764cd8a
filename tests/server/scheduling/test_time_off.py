"""Time off: CRUD, events, and refusals both ways (bookings/holds vs time off)."""

import httpx

from tests.factories import signup
from tests.server.bookings.common import at, world
from tests.server.scheduling.helpers import events, head, hold, time_off


async def test_create_list_delete_with_events(client: httpx.AsyncClient) -> None:
    w = await world(client)
    seq = await head(w)
    created = (await time_off(w, at("12:00"), at("14:00"), reason="Training")).json()
    assert set(created) == {"id", "resource_id", "start", "end", "reason", "created_by",
                            "created_at"}  # fmt: skip
    assert created["start"] == "2030-01-07T12:00:00Z" and created["reason"] == "Training"
    url = f"/v1/resources/{w.resource['id']}/time-off"
    listed = await client.get(f"{url}?from={at('13:00')}&to={at('15:00')}", headers=w.viewer)
    assert [t["id"] for t in listed.json()["items"]] == [created["id"]]
    none = await client.get(f"{url}?from={at('14:00')}&to={at('15:00')}", headers=w.viewer)
    assert none.json()["items"] == []
    deleted = await client.delete(f"{url}/{created['id']}", headers=w.manager)
    assert deleted.status_code == 204
    again = await client.delete(f"{url}/{created['id']}", headers=w.manager)
    assert again.status_code == 404
    got = [(e["seq"], e["type"], e["data"]["id"]) for e in await events(w, seq)]
    assert got == [(seq + 1, "time_off.created", created["id"]),
                   (seq + 2, "time_off.deleted", created["id"])]  # fmt: skip
    audit = await client.get(f"/v1/audit?entity_id={created['id']}", headers=w.admin)
    assert sorted(e["action"] for e in audit.json()["items"]) == [
        "time_off.created", "time_off.deleted"]  # fmt: skip


async def test_roles_and_validation(client: httpx.AsyncClient) -> None:
    w = await world(client)
    url = f"/v1/resources/{w.resource['id']}/time-off"
    body = {"start": at("12:00"), "end": at("14:00")}
    assert (await client.post(url, json=body, headers=w.member)).status_code == 403
    bad = await client.post(url, json={"start": at("14:00"), "end": at("12:00")},
                            headers=w.manager)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_period"
    naive = await client.post(url, json={"start": "2030-01-07T12:00:00", "end": at("14:00")},
                              headers=w.manager)  # fmt: skip
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "start"
    other = await signup(client)
    foreign = await client.post(url, json=body, headers=other.headers)
    assert foreign.status_code == 404
    assert (await client.get(url, headers=other.headers)).status_code == 404


async def test_booking_hold_and_time_off_refuse_each_other(client: httpx.AsyncClient) -> None:
    w = await world(client)
    off = (await time_off(w, at("12:00"), at("14:00"))).json()
    refused = await w.book(at("13:00"), at("15:00"), expect=409)
    body = refused.json()
    assert body["code"] == "resource_unavailable"
    assert body["time_off"] == [{"id": off["id"], "start": off["start"], "end": off["end"]}]
    held = await hold(w, at("11:00"), at("12:30"), expect=409)
    assert held.json()["code"] == "resource_unavailable"
    await w.book(at("14:00"), at("15:00"))  # touching is fine
    booked = (await w.book(at("09:00"), at("10:00"))).json()
    h = (await hold(w, at("10:00"), at("11:00"))).json()
    clash = await time_off(w, at("09:30"), at("10:30"), expect=409)
    assert clash.json()["code"] == "booking_conflict"
    assert [(c["id"], c["status"], c["number"]) for c in clash.json()["conflicts"]] == [
        (booked["id"], "confirmed", booked["number"]), (h["id"], "held", None)]  # fmt: skip
    await time_off(w, at("13:00"), at("13:30"))  # time off may overlap time off


async def test_moving_a_booking_into_time_off_is_refused(client: httpx.AsyncClient) -> None:
    w = await world(client)
    await time_off(w, at("12:00"), at("14:00"))
    booking = (await w.book(at("09:00"), at("10:00"))).json()
    moved = await client.patch(f"/v1/bookings/{booking['id']}",
                               json={"start": at("11:30"), "end": at("12:30")},
                               headers=w.manager)  # fmt: skip
    assert moved.status_code == 409 and moved.json()["code"] == "resource_unavailable"


async def test_idempotency_key_replays_time_off(client: httpx.AsyncClient) -> None:
    w = await world(client)
    url = f"/v1/resources/{w.resource['id']}/time-off"
    headers = {**w.manager, "Idempotency-Key": "off-1"}
    body = {"start": at("12:00"), "end": at("14:00")}
    first = await client.post(url, json=body, headers=headers)
    second = await client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    listed = await client.get(url, headers=w.viewer)
    assert len(listed.json()["items"]) == 1
