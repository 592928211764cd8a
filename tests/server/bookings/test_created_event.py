"""``booking.created`` is written by the INSERT's own statement: its event and audit entry
carry the booking exactly as stored, number included, and seq stays gapless."""

import asyncio
from uuid import UUID

import httpx

from server.db import Context, Database, Tx
from tests.server.bookings.common import at, world


async def test_event_and_audit_carry_the_stored_booking(
    client: httpx.AsyncClient, db: Database
) -> None:
    w = await world(client)
    project = (await client.post("/v1/projects", json={"name": "P"}, headers=w.admin)).json()
    first = (await w.book(at("05:00"), at("06:00"))).json()
    created = (
        await w.book(
            "2030-01-07T09:00:00.250000+02:00", at("08:00"), project_id=project["id"],
            title="Plan", note="n", headers=w.member,
        )
    ).json()  # fmt: skip
    stored = (await client.get(f"/v1/bookings/{created['id']}", headers=w.viewer)).json()
    assert stored == created
    assert created["number"] == first["number"] + 1
    events = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["events"]
    mine = [e for e in events if e["data"].get("id") == created["id"]]
    assert [e["type"] for e in mine] == ["booking.created"]
    assert mine[0]["data"] == stored

    async def audit(tx: Tx) -> list[tuple[object, object, object]]:
        rows = await tx.fetch(
            "SELECT before, after, diff FROM audit_log WHERE tenant_id = $1 AND entity_id = $2",
            tx.tenant_id,
            UUID(created["id"]),
        )
        return [(r["before"], r["after"], r["diff"]) for r in rows]

    [(before, after, diff)] = await db.read(Context(tenant_id=UUID(w.tenant.id)), audit)
    assert before is None
    assert after == stored
    expected = {k: [None, v] for k, v in stored.items() if k not in ("updated_at", "version")}
    assert diff == {k: v for k, v in expected.items() if v[1] is not None}


async def test_seq_and_numbers_stay_gapless_under_concurrent_creates(
    client: httpx.AsyncClient,
) -> None:
    w = await world(client)
    rooms = [w.resource["id"]] + [(await w.resource_with(name=f"R{i}"))["id"] for i in range(4)]
    head = (await client.get("/v1/events?since=0", headers=w.viewer)).json()["seq"]
    responses = await asyncio.gather(
        *(w.book(at(f"{8 + i // 5:02}:00"), at(f"{9 + i // 5:02}:00"), resource_id=rooms[i % 5])
          for i in range(40))
    )  # fmt: skip
    bookings = [r.json() for r in responses]
    assert sorted(b["number"] for b in bookings) == list(range(1, 41))
    page = (await client.get(f"/v1/events?since={head}", headers=w.viewer)).json()
    assert [e["seq"] for e in page["events"]] == list(range(head + 1, head + 41))
    by_seq = sorted(page["events"], key=lambda e: e["seq"])
    # Commit order: numbers are taken in the same statement as seq, so they rise together.
    assert [e["data"]["number"] for e in by_seq] == list(range(1, 41))
