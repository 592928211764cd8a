"""The dashboard's controls: keyboard-only use, phone width, sessions, filters, rollbacks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Page, Route, expect

from tests.dashboard.conftest import Contexts, DashServer, shot, sign_in
from tests.dashboard.helpers import book, resource, today
from tests.dashboard.test_live import UTC_WIDE
from tests.factories import PASSWORD, signup

PHONE = {"timezone_id": "UTC", "viewport": {"width": 390, "height": 844}, "has_touch": True}


async def focused_class(page: Page) -> str:
    value: str = await page.evaluate("document.activeElement?.className ?? ''")
    return value


async def test_keyboard_only_creation(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Keyboard room")
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await page.select_option("#hours", "all")  # the default slot (the next hour) is visible
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await focused_class(page) == "track":
            break
    assert await focused_class(page) == "track", "a row is reachable with Tab"
    await page.keyboard.press("Enter")
    await expect(page.locator("#create-dialog")).to_be_visible()
    assert await page.evaluate("document.activeElement.name") == "title"
    await page.keyboard.type("Typed only")
    await page.keyboard.press("Enter")
    made = page.locator(f'.bk[data-resource-id="{room}"]:not(.saving)', has_text="Typed only")
    await expect(made).to_have_count(1)
    await expect(page.locator("#create-dialog")).to_be_hidden()
    # Open it with the keyboard too: Escape closes the dialog.
    await made.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#booking-dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#booking-dialog")).to_be_hidden()


async def test_phone_width_shows_a_day_list(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Phone room")
    booked = [await book(dash.http, tenant.token, room, h, 1) for h in (9, 11)]
    page = await contexts.page(**PHONE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await expect(page.locator(".daylist")).to_be_visible()
    assert await page.locator(".grid").count() == 0
    items = page.locator(".daylist [data-booking-id]")
    await expect(items).to_have_count(2)
    assert [await items.nth(i).get_attribute("data-booking-id") for i in range(2)] == [
        b["id"] for b in booked
    ]
    await expect(items.first).to_have_attribute("data-status", "confirmed")
    await expect(items.first).to_have_attribute("data-resource-id", room)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows the phone's width"
    await shot(page, "phone")
    live = await book(dash.http, tenant.token, room, 14, 1)
    await expect(page.locator(f'[data-booking-id="{live["id"]}"]')).to_be_visible()
    await page.click("#new-booking")
    await expect(page.locator("#create-dialog")).to_be_visible()


async def test_logout_ends_the_session(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    stored = json.loads(await page.evaluate("sessionStorage.getItem('booking.session')"))
    await page.reload()  # the session survives a reload of the tab
    await expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "online")
    await page.click("#logout")
    await expect(page.locator("input[name=password]")).to_be_visible()
    await expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "offline")
    assert await page.evaluate("sessionStorage.getItem('booking.session')") is None
    refused = await dash.http.post("/v1/auth/refresh", json={"refresh_token": stored["refresh"]})
    assert refused.status_code == 401


async def test_tokens_are_renewed_before_expiry_and_the_socket_reauthed(
    dash: DashServer, contexts: Contexts
) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Renewal room")
    page = await contexts.page(**UTC_WIDE)
    sent: list[str] = []
    reauthed = asyncio.Event()

    def on_frame(frame: Any) -> None:
        sent.append(str(frame))
        if '"reauth"' in sent[-1]:
            reauthed.set()

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    before = await page.evaluate("window.dashboard.session.data.access")
    # Pretend the access token expires in 2 s: the renewal runs ahead of that.
    await page.evaluate(
        "(() => { const s = window.dashboard.session;"
        " s.data.expiresAt = Date.now() + 2000; s.scheduleRenewal(); })()"
    )
    await page.wait_for_function(f"window.dashboard.session.data.access !== {before!r}")
    after = await page.evaluate("window.dashboard.session.data.access")
    async with asyncio.timeout(5):
        await reauthed.wait()
    assert any(after in frame for frame in sent if '"reauth"' in frame)
    made = await book(dash.http, tenant.token, room, 10)
    await expect(page.locator(f'[data-booking-id="{made["id"]}"]')).to_be_visible()


async def test_filters_and_week_navigation(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    await resource(dash.http, tenant, "Room 1", kind="room", skills=["av"])
    await resource(dash.http, tenant, "Ada", kind="person", skills=["python", "av"])
    grace = await resource(dash.http, tenant, "Grace", kind="person", skills=["cobol"])
    next_week = await dash.http.post(
        "/v1/bookings",
        json={
            "resource_id": grace,
            "start": (today(10).replace(hour=10) + _days(7)).isoformat(),
            "end": (today(11) + _days(7)).isoformat(),
            "title": "Next week",
        },
        headers=tenant.headers,
    )
    assert next_week.status_code == 201
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    names = page.locator(".row:not(.head) .res span")
    await expect(names).to_have_text(["Ada", "Grace", "Room 1"])
    await page.select_option("#kind", "person")
    await expect(names).to_have_text(["Ada", "Grace"])
    await page.select_option("#skill", "av")
    await expect(names).to_have_text(["Ada"])
    await page.select_option("#kind", "")
    await page.select_option("#skill", "")
    drawn = page.locator(f'[data-booking-id="{next_week.json()["id"]}"]')
    assert await drawn.count() == 0
    range_text = await page.text_content("#range")
    await page.click("#next")
    await expect(drawn).to_have_count(1)
    assert await page.text_content("#range") != range_text
    await page.click("#prev")
    await expect(drawn).to_have_count(0)
    await expect(page.locator("#range")).to_have_text(range_text or "")


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


async def test_a_refused_change_is_rolled_back(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Rollback room")
    booking = await book(dash.http, tenant.token, room, 10)
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    release = asyncio.Event()

    async def refuse(route: Route) -> None:
        await release.wait()
        problem = {
            "type": "https://booking.example/problems/invalid_transition",
            "title": "Invalid transition",
            "status": 409,
            "detail": "The booking changed meanwhile",
            "code": "invalid_transition",
        }
        await route.fulfill(
            status=409, content_type="application/problem+json", body=json.dumps(problem)
        )

    await page.route("**/v1/bookings/*/complete", refuse)
    drawn = page.locator(f'[data-booking-id="{booking["id"]}"]')
    await drawn.click()
    await page.click("#booking-actions button[data-action=complete]")
    await expect(drawn).to_have_attribute("data-status", "completed")  # at once
    await expect(drawn).to_have_class("bk s-completed saving")
    release.set()
    await expect(drawn).to_have_attribute("data-status", "confirmed")
    await expect(page.locator("#notice")).to_contain_text("The booking changed meanwhile")


async def test_holds_and_time_off_are_drawn_when_the_schedule_lists_them(
    dash: DashServer, contexts: Contexts
) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Held room")
    page = await contexts.page(**UTC_WIDE)

    async def with_lists(route: Route) -> None:
        response = await route.fetch()
        body = await response.json()
        body["holds"] = [_period("h1", room, 9, 10, holder_id=tenant.admin["id"])]
        body["time_off"] = [_period("t1", room, 13, 17, reason="Maintenance")]
        await route.fulfill(response=response, json=body)

    await page.route("**/v1/schedule?*", with_lists)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await expect(page.locator('.hold[data-hold-id="h1"]')).to_be_visible()
    await expect(page.locator('.off[data-time-off-id="t1"]')).to_have_attribute(
        "title", _starts_with("Time off: Maintenance")
    )


def _period(pid: str, room: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "resource_id": room,
        "start": today(start).isoformat(),
        "end": today(end).isoformat(),
        **extra,
    }


def _starts_with(text: str) -> Any:
    import re

    return re.compile("^" + re.escape(text))


async def test_the_api_reference_renders_the_31_document(
    dash: DashServer, contexts: Contexts
) -> None:
    page = await contexts.page(**UTC_WIDE)
    await page.goto("/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Booking API")
    await expect(page.locator(".opblock-tag-section").first).to_be_visible()
    await expect(page.locator('[data-path="/v1/bookings"]').first).to_be_visible()
    await shot(page, "docs")
    assert await page.locator("text=Unable to render this definition").count() == 0


async def test_a_realistic_week_marks_pending_and_escalated(
    dash: DashServer, contexts: Contexts
) -> None:
    """Also the README's screenshot (docs/dashboard.png is a copy of week-demo.png)."""
    from datetime import UTC, datetime, timedelta

    import asyncpg

    from tests.dashboard.test_live import require_approval
    from tests.factories import add_user

    tenant = await signup(dash.http)
    await require_approval(dash, tenant)
    _, member_token = await add_user(dash.http, tenant, "member", name="Mia Member")
    people = {
        name: await resource(dash.http, tenant, name, kind="person", skills=skills)
        for name, skills in [
            ("Ada Lovelace", ["python"]),
            ("Grace Hopper", ["cobol"]),
            ("Alan Turing", ["python", "crypto"]),
        ]
    }
    rooms = {name: await resource(dash.http, tenant, name) for name in ("Lab 1", "Studio")}
    monday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())

    async def make(
        rid: str, day: int, start: float, hours: float, title: str, token: str = tenant.token
    ) -> dict[str, Any]:
        begin = monday + timedelta(days=day, hours=start)
        response = await dash.http.post(
            "/v1/bookings",
            json={
                "resource_id": rid,
                "title": title,
                "start": begin.isoformat(),
                "end": (begin + timedelta(hours=hours)).isoformat(),
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        return made

    plan = [
        (
            "Ada Lovelace",
            [(0, 8, 4, "Analytics sprint"), (1, 9, 8, "Engine review"), (3, 13, 5, "Workshop")],
        ),
        (
            "Grace Hopper",
            [(0, 9, 9, "Compiler design"), (2, 8, 6, "Audit"), (4, 10, 4, "Training")],
        ),
        ("Alan Turing", [(1, 8, 10, "Codebreaking"), (3, 8, 4, "Interviews")]),
        ("Lab 1", [(0, 10, 3, "Calibration"), (2, 12, 6, "Experiment B")]),
        ("Studio", [(4, 9, 8, "Recording")]),
    ]
    ids = {**people, **rooms}
    made = [await make(ids[name], *slot) for name, slots in plan for slot in slots]
    done = await dash.http.post(f"/v1/bookings/{made[0]['id']}/complete", headers=tenant.headers)
    assert done.status_code == 200
    gone = await dash.http.post(f"/v1/bookings/{made[7]['id']}/cancel", headers=tenant.headers)
    assert gone.status_code == 200
    pending = await make(ids["Alan Turing"], 4, 9, 6, "Pen test", member_token)
    urgent = await make(ids["Studio"], 2, 8, 5, "Podcast", member_token)
    conn = await asyncpg.connect(dash.database_url)
    try:
        await conn.execute(
            "UPDATE bookings SET escalated_at = now() WHERE tenant_id = $1 AND id = $2",
            tenant.id,
            urgent["id"],
        )
    finally:
        await conn.close()

    async def with_lists(route: Route) -> None:
        response = await route.fetch()
        body = await response.json()
        hold_start = monday + timedelta(days=5, hours=9)
        off_start = monday + timedelta(days=3)
        body["holds"] = [
            {
                "id": "demo-hold",
                "resource_id": ids["Lab 1"],
                "start": hold_start.isoformat(),
                "end": (hold_start + timedelta(hours=5)).isoformat(),
            }
        ]
        body["time_off"] = [
            {
                "id": "demo-off",
                "resource_id": ids["Grace Hopper"],
                "start": off_start.isoformat(),
                "end": (off_start + timedelta(days=1)).isoformat(),
                "reason": "Conference",
            }
        ]
        await route.fulfill(response=response, json=body)

    page = await contexts.page(timezone_id="UTC", viewport={"width": 1280, "height": 470})
    await page.route("**/v1/schedule?*", with_lists)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await expect(page.locator(f'[data-booking-id="{pending["id"]}"]')).to_have_class("bk s-pending")
    escalated = page.locator(f'[data-booking-id="{urgent["id"]}"]')
    await expect(escalated).to_have_class("bk s-pending escalated")
    await expect(escalated).to_contain_text("⚠")
    await expect(page.locator(f'[data-booking-id="{made[0]["id"]}"]')).to_have_attribute(
        "data-status", "completed"
    )
    await expect(page.locator(f'[data-booking-id="{made[7]["id"]}"]')).to_have_class(
        "bk s-cancelled ended"
    )
    await expect(page.locator("[data-hold-id]")).to_have_count(1)
    await expect(page.locator("[data-time-off-id]")).to_have_count(1)
    await page.mouse.move(0, 0)
    await shot(page, "week-demo")


async def test_a_manager_moves_and_rejects_from_the_dialog(
    dash: DashServer, contexts: Contexts
) -> None:
    from tests.dashboard.test_live import require_approval
    from tests.factories import add_user

    tenant = await signup(dash.http)
    await require_approval(dash, tenant)
    first = await resource(dash.http, tenant, "First")
    second = await resource(dash.http, tenant, "Second")
    _, member_token = await add_user(dash.http, tenant, "member")
    moved = await book(dash.http, tenant.token, first, 9)
    refused = await book(dash.http, member_token, first, 12)
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await page.click(f'[data-booking-id="{moved["id"]}"]')
    await page.select_option("#booking-form select[name=resource_id]", second)
    await page.click("#booking-actions button[data-action=assign]")
    drawn = page.locator(f'[data-booking-id="{moved["id"]}"]')
    await expect(drawn).to_have_attribute("data-resource-id", second)
    await expect(page.locator(f'.track[data-row="{second}"] [data-booking-id]')).to_have_count(1)
    await page.click(f'[data-booking-id="{refused["id"]}"]')
    await page.fill("#booking-form input[name=reason]", "Room is closed")
    async with page.expect_request("**/reject") as sent:
        await page.click("#booking-actions button[data-action=reject]")
    assert json.loads((await sent.value).post_data or "{}") == {"reason": "Room is closed"}
    await expect(page.locator(f'[data-booking-id="{refused["id"]}"]')).to_have_attribute(
        "data-status", "rejected"
    )
