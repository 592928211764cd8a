"""Subscribable calendar feeds: secret urls served without auth, parsed with icalendar."""

import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import icalendar

from server.config import Settings
from tests.factories import add_user, auth, client_with
from tests.server.bookings.common import World, at, world


async def feed(client: httpx.AsyncClient, headers: dict[str, str], **body: str) -> dict[str, str]:
    response = await client.post("/v1/calendar-feeds", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    parts = urlsplit(url)
    return await client.get(f"{parts.path}?{parts.query}")


def uids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.text)
    return [str(event["UID"]).split("@")[0] for event in calendar.walk("VEVENT")]


async def two_bookings(w: World) -> tuple[dict[str, str], dict[str, str]]:
    mine = (await w.book(at("09:00"), at("10:00"), headers=w.member, title="Mine")).json()
    theirs = (await w.book(at("10:00"), at("11:00"), headers=w.manager, title="Theirs")).json()
    return mine, theirs


async def test_own_feed_without_authorization(client: httpx.AsyncClient) -> None:
    w = await world(client)
    mine, _ = await two_bookings(w)
    created = await feed(client, w.member)
    assert set(created) == {"id", "url", "resource_id", "created_at"}
    assert created["resource_id"] is None
    url = urlsplit(created["url"])
    assert url.scheme == "http" and url.netloc == "test"  # absolute
    response = await fetch(client, created["url"])
    assert uids(response) == [mine["id"]]
    calendar = icalendar.Calendar.from_ical(response.text)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Mine"
    assert event.decoded("DTSTART").isoformat() == "2030-01-07T09:00:00+00:00"
    assert str(event["STATUS"]) == "CONFIRMED"


async def test_resource_feed_and_listing(client: httpx.AsyncClient) -> None:
    w = await world(client)
    mine, theirs = await two_bookings(w)
    created = await feed(client, w.viewer, resource_id=w.resource["id"])
    assert created["resource_id"] == w.resource["id"]
    assert sorted(uids(await fetch(client, created["url"]))) == sorted([mine["id"], theirs["id"]])
    listed = await client.get("/v1/calendar-feeds", headers=w.viewer)
    assert listed.status_code == 200
    assert [(f["id"], f["resource_id"]) for f in listed.json()["items"]] == [
        (created["id"], w.resource["id"])
    ]
    assert "url" not in listed.json()["items"][0]
    assert listed.json()["next_cursor"] is None
    assert (await client.get("/v1/calendar-feeds", headers=w.member)).json()["items"] == []
    second = await feed(client, w.viewer)
    first_page = (await client.get("/v1/calendar-feeds?limit=1", headers=w.viewer)).json()
    assert [f["id"] for f in first_page["items"]] == [created["id"]]
    after = await client.get(
        f"/v1/calendar-feeds?limit=1&cursor={first_page['next_cursor']}", headers=w.viewer
    )
    assert [f["id"] for f in after.json()["items"]] == [second["id"]]
    unknown = await client.post(
        "/v1/calendar-feeds", json={"resource_id": str(uuid.uuid4())}, headers=w.viewer
    )
    assert unknown.status_code == 404


async def test_only_the_hash_is_stored_and_a_wrong_secret_is_404(
    client: httpx.AsyncClient, database_url: str
) -> None:
    w = await world(client)
    created = await feed(client, w.member)
    secret = parse_qs(urlsplit(created["url"]).query)["token"][0]
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchval(
            "SELECT secret_hash FROM calendar_feeds WHERE id = $1", uuid.UUID(created["id"])
        )
    finally:
        await conn.close()
    assert bytes(stored) == hashlib.sha256(secret.encode()).digest()
    assert secret.encode() not in bytes(stored)
    wrong = created["url"].replace(secret, secret[:-2] + "xx")
    assert (await fetch(client, wrong)).status_code == 404
    other = await world(client)
    foreign = created["url"].replace(w.tenant.id, other.tenant.id)
    assert (await fetch(client, foreign)).status_code == 404
    no_token = urlsplit(created["url"]).path
    assert (await client.get(no_token)).status_code == 422


async def test_deleted_feed_and_deactivated_user_answer_404(client: httpx.AsyncClient) -> None:
    w = await world(client)
    created = await feed(client, w.member)
    assert (await fetch(client, created["url"])).status_code == 200
    assert (
        await client.delete(f"/v1/calendar-feeds/{created['id']}", headers=w.manager)
    ).status_code == 404
    deleted = await client.delete(f"/v1/calendar-feeds/{created['id']}", headers=w.member)
    assert deleted.status_code == 204
    assert (await fetch(client, created["url"])).status_code == 404
    assert (await client.get("/v1/calendar-feeds", headers=w.member)).json()["items"] == []

    user, token = await add_user(client, w.tenant, "member")
    kept = await feed(client, auth(token))
    assert (await fetch(client, kept["url"])).status_code == 200
    gone = await client.request(
        "DELETE", f"/v1/users/{user['id']}", json={"reason": "left"}, headers=w.admin
    )
    assert gone.status_code == 200, gone.text
    assert (await fetch(client, kept["url"])).status_code == 404


async def test_public_url_is_the_base_of_feed_urls(settings: Settings) -> None:
    async with client_with(settings, public_url="https://cal.example.com/") as client:
        w = await world(client)
        created = await feed(client, w.member)
        assert created["url"].startswith(
            f"https://cal.example.com/v1/calendar-feeds/{w.tenant.id}/{created['id']}.ics?token="
        )
