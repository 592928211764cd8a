import asyncio
import contextlib
import json

import httpx

from tests.server.bookings.common import at, world


async def _bookings(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get("/v1/bookings", headers=headers)
    return [b["id"] for b in response.json()["items"]]


async def test_replay_and_reuse(client: httpx.AsyncClient) -> None:
    w = await world(client)
    body = {"resource_id": w.resource["id"], "start": at("08:00"), "end": at("09:00")}
    headers = {**w.member, "Idempotency-Key": "create-1"}
    first = await client.post("/v1/bookings", json=body, headers=headers)
    again = await client.post("/v1/bookings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert first.headers["etag"] == again.headers["etag"] == '"1"'
    assert await _bookings(client, w.viewer) == [first.json()["id"]]
    # The same JSON written differently (key order, spacing) is the same body.
    reordered = json.dumps(dict(reversed(body.items())), indent=2).encode()
    same = await client.post(
        "/v1/bookings", content=reordered, headers={**headers, "content-type": "application/json"}
    )
    assert same.status_code == 201
    assert same.content == first.content
    other = await client.post("/v1/bookings", json={**body, "end": at("10:00")}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    conflict_headers = {**w.manager, "Idempotency-Key": "create-2"}
    refused = await client.post("/v1/bookings", json=body, headers=conflict_headers)
    assert refused.status_code == 409
    replayed = await client.post("/v1/bookings", json=body, headers=conflict_headers)
    assert replayed.status_code == 409
    assert replayed.json() == refused.json()
    assert "etag" not in refused.headers and "etag" not in replayed.headers
    assert replayed.json()["conflicts"][0]["id"] == first.json()["id"]


async def test_transition_replay(client: httpx.AsyncClient) -> None:
    w = await world(client)
    booking = (await w.book(at("08:00"), at("09:00"))).json()
    headers = {**w.manager, "Idempotency-Key": "cancel-1"}
    first = await client.post(f"/v1/bookings/{booking['id']}/cancel", headers=headers)
    second = await client.post(f"/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    # A replayed answer carries the ETag a fresh one does (an error none).
    version = f'"{first.json()["version"]}"'
    assert first.headers["etag"] == second.headers["etag"] == version
    plain = await client.post(f"/v1/bookings/{booking['id']}/cancel", headers=w.manager)
    assert plain.status_code == 409


async def test_concurrent_duplicates_have_one_effect(client: httpx.AsyncClient) -> None:
    w = await world(client)
    body = {"resource_id": w.resource["id"], "start": at("08:00"), "end": at("09:00")}
    headers = {**w.member, "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *(client.post("/v1/bookings", json=body, headers=headers) for _ in range(10))
    )
    successes = [r for r in responses if r.status_code == 201]
    assert successes, [r.text for r in responses]
    assert {r.content for r in successes} == {successes[0].content}
    assert all(r.status_code in (201, 409) for r in responses)
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"contention"}
    assert await _bookings(client, w.viewer) == [successes[0].json()["id"]]


async def test_retry_after_a_cut_connection(client: httpx.AsyncClient) -> None:
    for delay in (0.0, 0.002, 0.01, 0.05):
        w = await world(client)
        body = {"resource_id": w.resource["id"], "start": at("08:00"), "end": at("09:00")}
        headers = {**w.member, "Idempotency-Key": f"cut-{delay}"}
        task = asyncio.create_task(client.post("/v1/bookings", json=body, headers=headers))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        retry = await client.post("/v1/bookings", json=body, headers=headers)
        assert retry.status_code == 201, retry.text
        assert await _bookings(client, w.viewer) == [retry.json()["id"]]
        replay = await client.post("/v1/bookings", json=body, headers=headers)
        assert replay.content == retry.content
