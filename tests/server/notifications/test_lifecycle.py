"""Lifecycle mail: who gets what, from committed events, with preferences, templates and
an iCalendar invitation; delivered to a real SMTP sink."""

import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import icalendar
import msgspec
import pytest

from server.config import Settings
from server.db import Database
from server.notifications import dispatch, messages, service
from server.notifications.rules import EMAIL
from tests.server.bookings.common import World, at, world
from tests.smtpsink import smtp_sink


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.connect(settings, min_size=1)
    yield database
    await database.close()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def mails(db: Database, conn: asyncpg.Connection, w: World) -> list[asyncpg.Record]:
    """Turn the tenant's new events into mail, then every message queued so far."""
    await dispatch.dispatch_tenant(db, uuid.UUID(w.tenant.id))
    return list(
        await conn.fetch(
            "SELECT id, kind, to_address, subject, body, html, ics, ics_method"
            " FROM notifications WHERE tenant_id = $1 ORDER BY created_at, to_address",
            uuid.UUID(w.tenant.id),
        )
    )


async def emails(client: httpx.AsyncClient, w: World) -> dict[str, str]:
    users = (await client.get("/v1/users", headers=w.admin)).json()["items"]
    return {u["role"]: u["email"] for u in users}


async def approval_world(client: httpx.AsyncClient) -> World:
    w = await world(client)
    await w.settings(approval_required=True)
    return w


async def test_a_new_pending_booking_mails_managers_and_admins(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection, settings: Settings
) -> None:
    w = await approval_world(client)
    address = await emails(client, w)
    booking = (
        await w.book(at("09:00"), at("10:00"), headers=w.member, title="Budget <review> & co")
    ).json()
    rows = await mails(db, conn, w)
    assert sorted(r["to_address"] for r in rows) == sorted([address["admin"], address["manager"]])
    assert {r["kind"] for r in rows} == {"booking.created"}
    row = rows[0]
    assert row["subject"] == f"Booking #{booking['number']} waits for your approval"
    assert "Budget <review> & co" in row["body"] and "Member asked for Room" in row["body"]
    assert "Budget &lt;review&gt; &amp; co" in row["html"]
    assert row["ics"] is None
    # Each event is turned into mail once.
    assert len(await mails(db, conn, w)) == 2

    with smtp_sink() as (url, sink):
        config = msgspec.structs.replace(settings, smtp_url=url)
        assert await service.deliver(db, config, uuid.UUID(w.tenant.id), row["id"]) == "sent"
    [envelope] = sink.accepted
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]


async def test_the_requester_hears_of_what_others_do_with_an_invitation(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection, settings: Settings
) -> None:
    w = await approval_world(client)
    address = await emails(client, w)
    booking = (await w.book(at("09:00"), at("10:00"), headers=w.member, title="Standup")).json()
    path = f"/v1/bookings/{booking['id']}"
    seen = {r["id"] for r in await mails(db, conn, w)}
    rows: list[asyncpg.Record] = []

    async def step(response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        fresh = [r for r in await mails(db, conn, w) if r["id"] not in seen]
        seen.update(r["id"] for r in fresh)
        rows.extend(r for r in fresh if r["to_address"] == address["member"])

    await step(await client.post(f"{path}/approve", headers=w.manager))
    await step(await client.patch(path, json={"note": "bring slides"}, headers=w.manager))
    await step(
        await client.patch(path, json={"start": at("11:00"), "end": at("12:00")}, headers=w.manager)
    )
    other = await w.resource_with(name="Annex")
    await step(
        await client.post(f"{path}/assign", json={"resource_id": other["id"]}, headers=w.manager)
    )
    cancelled = await client.post(
        f"{path}/cancel", json={"reason": "room closed"}, headers=w.manager
    )
    await step(cancelled)
    assert [r["kind"] for r in rows] == [
        "booking.approved",
        "booking.updated",
        "booking.updated",
        "booking.cancelled",
    ]
    assert "Manager approved your booking of Room." in rows[0]["body"]
    assert "it is now on Annex" in rows[2]["body"]
    if "status_reason" in cancelled.json():  # the booking's field, where the server has it
        assert "Reason:   room closed" in rows[3]["body"]

    def vevent(row: asyncpg.Record) -> Any:
        calendar = icalendar.Calendar.from_ical(row["ics"])
        assert str(calendar["METHOD"]) == row["ics_method"]
        [event] = calendar.walk("VEVENT")
        return event

    invite = vevent(rows[0])
    assert rows[0]["ics_method"] == "REQUEST"
    assert str(invite["UID"]) == f"{booking['id']}@booking"
    assert str(invite["STATUS"]) == "CONFIRMED"
    assert str(invite["ORGANIZER"]) == f"mailto:{address['member']}"
    assert invite.decoded("DTSTART").isoformat() == "2030-01-07T09:00:00+00:00"
    moved_invite = vevent(rows[1])
    assert moved_invite.decoded("DTSTART").isoformat() == "2030-01-07T11:00:00+00:00"
    assert int(moved_invite["SEQUENCE"]) > int(invite["SEQUENCE"])
    cancel = vevent(rows[3])
    assert rows[3]["ics_method"] == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(invite["UID"])

    with smtp_sink() as (url, sink):
        config = msgspec.structs.replace(settings, smtp_url=url)
        assert await service.deliver(db, config, uuid.UUID(w.tenant.id), rows[3]["id"]) == "sent"
    [envelope] = sink.accepted
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "CANCEL"
    assert attachment.get_filename() == "booking.ics"
    parsed = icalendar.Calendar.from_ical(attachment.get_content())
    assert str(parsed["METHOD"]) == "CANCEL"


async def test_what_the_requester_does_themselves_sends_nothing(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await world(client)
    booking = (await w.book(at("09:00"), at("10:00"), headers=w.member)).json()
    assert booking["status"] == "confirmed"
    path = f"/v1/bookings/{booking['id']}"
    moved = await client.patch(
        path, json={"start": at("10:00"), "end": at("11:00")}, headers=w.member
    )
    assert moved.status_code == 200, moved.text
    assert (await client.post(f"{path}/cancel", headers=w.member)).status_code == 200
    assert await mails(db, conn, w) == []


async def test_preferences_switch_each_kind(
    client: httpx.AsyncClient, db: Database, conn: asyncpg.Connection
) -> None:
    w = await approval_world(client)
    address = await emails(client, w)
    got = await client.get("/v1/me/notifications", headers=w.member)
    assert got.status_code == 200
    assert got.json() == {"email": dict.fromkeys(EMAIL, True)}
    assert "booking.reminder" in got.json()["email"]

    off = await client.put(
        "/v1/me/notifications", json={"email": {"booking.approved": False}}, headers=w.member
    )
    assert off.status_code == 200, off.text
    assert off.json()["email"]["booking.approved"] is False
    assert off.json()["email"]["booking.rejected"] is True
    manager_off = await client.put(
        "/v1/me/notifications", json={"email": {"booking.created": False}}, headers=w.manager
    )
    assert manager_off.status_code == 200

    first = (await w.book(at("09:00"), at("10:00"), headers=w.member)).json()
    second = (await w.book(at("10:00"), at("11:00"), headers=w.member)).json()
    await client.post(f"/v1/bookings/{first['id']}/approve", headers=w.manager)
    await client.post(f"/v1/bookings/{second['id']}/reject", headers=w.manager)
    rows = await mails(db, conn, w)
    assert [(r["kind"], r["to_address"]) for r in rows] == [
        ("booking.created", address["admin"]),
        ("booking.created", address["admin"]),
        ("booking.rejected", address["member"]),
    ]
    # PUT replaces: a kind left out is on again.
    again = await client.put("/v1/me/notifications", json={"email": {}}, headers=w.member)
    assert again.json() == {"email": dict.fromkeys(EMAIL, True)}


async def test_bad_preferences_name_the_field(client: httpx.AsyncClient) -> None:
    w = await world(client)
    unknown = await client.put(
        "/v1/me/notifications", json={"email": {"booking.nope": False}}, headers=w.viewer
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["email.booking.nope"]
    wrong = await client.put(
        "/v1/me/notifications", json={"email": {"booking.created": "no"}}, headers=w.viewer
    )
    assert wrong.status_code == 422
    missing = await client.put("/v1/me/notifications", json={}, headers=w.viewer)
    assert missing.status_code == 422
    assert (await client.get("/v1/me/notifications")).status_code == 401


def test_templates_render_the_reason_escaped_in_html() -> None:
    booking = {
        "id": str(uuid.uuid4()),
        "number": 7,
        "resource_id": str(uuid.uuid4()),
        "requester_id": str(uuid.uuid4()),
        "title": "",
        "note": "",
        "start": "2030-01-07T09:00:00Z",
        "end": "2030-01-07T10:00:00Z",
        "status": "rejected",
        "status_reason": "<full> & busy",
        "version": 2,
        "created_at": "2030-01-01T08:00:00Z",
        "updated_at": "2030-01-01T08:30:00Z",
    }
    names = messages.Names(
        tenant="Acme",
        timezone="Europe/Berlin",
        resource="Room",
        requester="Ann",
        requester_email="ann@acme.test",
        actor="Bob",
    )
    rendered = messages.render("booking.rejected", booking, names, to_requester=True)
    assert rendered.subject == "Booking #7 was rejected"
    assert "Reason:   <full> & busy" in rendered.text
    assert "Mon 07 Jan 2030 10:00 (Europe/Berlin)" in rendered.text
    assert "&lt;full&gt; &amp; busy" in rendered.html
    assert "(no title)" in rendered.text
    assert rendered.ics_method == "CANCEL" and rendered.ics is not None
    [event] = icalendar.Calendar.from_ical(rendered.ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Booking #7"
