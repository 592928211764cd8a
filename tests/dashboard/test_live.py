"""The dashboard in a real browser: sign-in, the week grid, live updates between contexts."""

from __future__ import annotations

import time

import asyncpg
import pytest
from playwright.async_api import Page, Route, expect

from tests.dashboard.conftest import Contexts, DashServer, shot, sign_in
from tests.dashboard.helpers import book, head, resource
from tests.factories import PASSWORD, Tenant, add_user, signup

UTC_WIDE = {"timezone_id": "UTC", "viewport": {"width": 1400, "height": 800}}


async def require_approval(dash: DashServer, tenant: Tenant) -> None:
    body = {
        "approval_required": True,
        "escalate_after": None,
        "expire_after": None,
        "remind_before": None,
        "auto_complete": False,
    }
    response = await dash.http.put("/v1/workflow", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text


async def create_in_page(page: Page, resource_id: str, title: str, start: str, end: str) -> None:
    """Open the form from the row (Enter on its focused track), fill it, submit."""
    await page.focus(f'.track[data-row="{resource_id}"]')
    await page.keyboard.press("Enter")
    form = page.locator("#create-form")
    await expect(form).to_be_visible()
    await form.locator("input[name=start]").fill(start)
    await form.locator("input[name=end]").fill(end)
    await form.locator("input[name=title]").fill(title)
    await form.locator("button[type=submit]").click()


def local_input(hour: int) -> str:
    """A datetime-local value for ``hour`` o'clock today in UTC (the contexts' zone)."""
    return time.strftime(f"%Y-%m-%dT{hour:02d}:00", time.gmtime())


async def seq_of(page: Page) -> int:
    return int(await page.get_attribute("#schedule", "data-seq") or "-1")


async def test_sign_in_draws_the_week_with_its_hooks(dash: DashServer, contexts: Contexts) -> None:
    tenant = await signup(dash.http)
    rooms = [await resource(dash.http, tenant, f"Room {n}") for n in "ABC"]
    booked = [await book(dash.http, tenant.token, rid, 9 + 2 * i, 3) for i, rid in enumerate(rooms)]
    page = await contexts.page(**UTC_WIDE)
    await page.goto("/")
    assert page.url.endswith("/app/")
    await page.fill("input[name=tenant]", tenant.slug)
    await page.fill("input[name=email]", tenant.admin["email"])
    await page.fill("input[name=password]", "Wrong-Password-1")
    await page.click("button[type=submit]")
    await expect(page.locator("#login-error")).to_contain_text("wrong")
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    for booking in booked:
        drawn = page.locator(f'[data-booking-id="{booking["id"]}"]')
        await expect(drawn).to_have_attribute("data-status", "confirmed")
        await expect(drawn).to_have_attribute("data-resource-id", booking["resource_id"])
        await expect(drawn).to_contain_text(f"#{booking['number']}")
    assert await seq_of(page) == await head(dash.http, tenant)
    assert await page.locator(".track").count() == 3
    await page.select_option("#hours", "all")  # now may be outside 07-19
    await expect(page.locator(".today")).to_be_visible()
    await page.select_option("#hours", "day")
    await shot(page, "week")


async def test_two_contexts_see_each_others_new_booking_within_a_second(
    dash: DashServer, contexts: Contexts
) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Shared room")
    member, _ = await add_user(dash.http, tenant, "member")
    first = await contexts.page(**UTC_WIDE)
    second = await contexts.page(**UTC_WIDE)
    await sign_in(first, tenant.slug, tenant.admin["email"], PASSWORD)
    await sign_in(second, tenant.slug, member["email"], PASSWORD)
    for maker, watcher, hour in ((first, second, 9), (second, first, 12)):
        title = f"made at {hour}"
        await create_in_page(maker, room, title, local_input(hour), local_input(hour + 1))
        made = maker.locator(".bk:not(.saving)", has_text=title)
        await expect(made).to_have_count(1)
        booking_id = await made.get_attribute("data-booking-id")
        started = time.monotonic()
        await expect(watcher.locator(f'[data-booking-id="{booking_id}"]')).to_be_visible(
            timeout=1000
        )
        print(f"\nnew booking seen by the other context after {time.monotonic() - started:.3f} s")
    assert await seq_of(first) == await seq_of(second) == await head(dash.http, tenant)


async def test_an_approval_changes_the_status_live_and_pending_stands_out(
    dash: DashServer, contexts: Contexts
) -> None:
    tenant = await signup(dash.http)
    await require_approval(dash, tenant)
    room = await resource(dash.http, tenant, "Lab")
    member, member_token = await add_user(dash.http, tenant, "member")
    manager, _ = await add_user(dash.http, tenant, "manager")
    pending = await book(dash.http, member_token, room, 10, 2, title="Needs approval")
    assert pending["status"] == "pending"
    requester = await contexts.page(**UTC_WIDE)
    approver = await contexts.page(**UTC_WIDE)
    await sign_in(requester, tenant.slug, member["email"], PASSWORD)
    await sign_in(approver, tenant.slug, manager["email"], PASSWORD)
    mine = requester.locator(f'[data-booking-id="{pending["id"]}"]')
    await expect(mine).to_have_attribute("data-status", "pending")
    await expect(mine).to_have_class("bk s-pending")
    await approver.click(f'[data-booking-id="{pending["id"]}"]')
    dialog = approver.locator("#booking-dialog")
    await expect(dialog.locator("button[data-action]")).to_have_text(
        ["Approve", "Reject", "Cancel booking", "Move"]
    )
    await dialog.locator("button[data-action=approve]").click()
    await expect(mine).to_have_attribute("data-status", "confirmed")
    # A member may only cancel their own booking: no approve button for them.
    await mine.click()
    await expect(requester.locator("#booking-actions button[data-action]")).to_have_text(
        ["Cancel booking"]
    )


async def test_a_conflict_shows_the_409_and_highlights_the_booking(
    dash: DashServer, contexts: Contexts
) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Busy room")
    taken = await book(dash.http, tenant.token, room, 10, 2, title="Already here")
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await create_in_page(page, room, "Clash", local_input(11), local_input(13))
    error = page.locator("#create-error")
    await expect(error).to_contain_text("Conflict")
    await expect(error).to_contain_text(f"#{taken['number']}")
    await expect(page.locator(f'[data-booking-id="{taken["id"]}"]')).to_have_class(
        "bk s-confirmed conflict"
    )
    # The optimistic booking was rolled back: only the existing one is drawn.
    await expect(page.locator(f'.track[data-row="{room}"] .bk')).to_have_count(1)
    await shot(page, "conflict")


async def test_another_tenant_never_sees_the_booking(dash: DashServer, contexts: Contexts) -> None:
    ours = await signup(dash.http)
    theirs = await signup(dash.http)
    our_room = await resource(dash.http, ours, "Ours")
    their_room = await resource(dash.http, theirs, "Theirs")
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, ours.slug, ours.admin["email"], PASSWORD)
    seq = await seq_of(page)
    other = await book(dash.http, theirs.token, their_room, 9)
    mine = await book(dash.http, ours.token, our_room, 9)
    await expect(page.locator(f'[data-booking-id="{mine["id"]}"]')).to_be_visible()
    assert await seq_of(page) == seq + 1
    await page.wait_for_timeout(1200)  # two heartbeats
    assert await page.locator(f'[data-booking-id="{other["id"]}"]').count() == 0
    assert await page.locator(f'[data-resource-id="{their_room}"]').count() == 0


@pytest.mark.parametrize("pruned", [False, True], ids=["sync", "resync_required"])
async def test_offline_then_online_catches_up_to_the_head(
    dash: DashServer, contexts: Contexts, pruned: bool
) -> None:
    tenant = await signup(dash.http)
    room = await resource(dash.http, tenant, "Room")
    early = await book(dash.http, tenant.token, room, 8)
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await page.context.set_offline(True)
    await expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "offline")
    made = [await book(dash.http, tenant.token, room, 10 + i) for i in range(3)]
    cancelled = await dash.http.post(
        f"/v1/bookings/{early['id']}/cancel", json={}, headers=tenant.headers
    )
    assert cancelled.status_code == 200
    if pruned:  # the events the page missed are past retention: sync answers 410
        await prune_events(dash, tenant)
    await page.wait_for_timeout(600)
    assert await page.locator(f'[data-booking-id="{made[0]["id"]}"]').count() == 0
    await page.context.set_offline(False)
    await expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "online")
    target = await head(dash.http, tenant)
    await expect(page.locator("#schedule")).to_have_attribute("data-seq", str(target))
    for booking in made:
        await expect(page.locator(f'[data-booking-id="{booking["id"]}"]')).to_be_visible()
    stale = page.locator(f'[data-booking-id="{early["id"]}"]')
    await expect(stale).to_have_attribute("data-status", "cancelled")


async def prune_events(dash: DashServer, tenant: Tenant) -> None:
    conn = await asyncpg.connect(dash.database_url)
    try:
        await conn.execute(
            "DELETE FROM events WHERE tenant_id = $1 AND seq < (SELECT max(seq) FROM events"
            " WHERE tenant_id = $1)",
            tenant.id,
        )
    finally:
        await conn.close()


async def test_the_rows_on_screen_come_first_and_the_whole_week_agrees(
    dash: DashServer, contexts: Contexts
) -> None:
    """Another week with more rows than a screen: the rows on screen are asked for first
    (``resource_ids``), then the whole week; a change committed between the two answers
    shows in the rows drawn first, once and current."""
    tenant = await signup(dash.http)
    rows = [await resource(dash.http, tenant, f"Row {n:02d}") for n in range(40)]
    first = await book(dash.http, tenant.token, rows[0], 9, 2, title="First row")
    last = await book(dash.http, tenant.token, rows[39], 10, 2, title="Last row")
    page = await contexts.page(**UTC_WIDE)
    await sign_in(page, tenant.slug, tenant.admin["email"], PASSWORD)
    await expect(page.locator("[data-booking-id]")).to_have_count(2)
    asked: list[str] = []
    meanwhile: list[str] = []

    async def between(route: Route) -> None:
        url = route.request.url
        asked.append(url)
        if "resource_ids" not in url and not meanwhile:  # the whole week, after the rows
            made = await book(dash.http, tenant.token, rows[1], 12, 1, title="Meanwhile")
            meanwhile.append(made["id"])
            cancelled = await dash.http.post(
                f"/v1/bookings/{first['id']}/cancel", json={}, headers=tenant.headers
            )
            assert cancelled.status_code == 200, cancelled.text
        await route.continue_()

    await page.click("#next")
    await page.wait_for_function(  # the next week loaded in full: its requests are over
        "window.dashboardMetrics.snapshots.length >= 2"
        " && window.dashboardMetrics.snapshots.at(-1).allDrawnMs !== undefined"
    )
    await page.route("**/v1/schedule?*", between)
    await page.click("#prev")
    made = page.locator("[data-booking-id]", has_text="Meanwhile")
    await expect(made).to_have_count(1)
    assert await made.get_attribute("data-booking-id") in meanwhile
    await expect(page.locator(f'[data-booking-id="{last["id"]}"]')).to_have_count(1)
    await expect(page.locator(f'[data-booking-id="{first["id"]}"]')).to_have_attribute(
        "data-status", "cancelled"
    )
    await expect(page.locator("[data-booking-id]")).to_have_count(3)
    assert len(asked) == 2 and "resource_ids" in asked[0] and "resource_ids" not in asked[1]
    assert rows[0] in asked[0] and rows[39] not in asked[0]
    assert await seq_of(page) == await head(dash.http, tenant)
