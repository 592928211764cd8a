"""A real server on a loopback port and Debian's chromium driven by Playwright.

The browser is launched by executable path (no browser download is possible on these
machines): ``BOOKING_TEST_CHROMIUM`` or ``/usr/bin/chromium`` (`apt-get install chromium`;
``.ci/run`` installs it). Screenshots go to ``tests/dashboard/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from server.app import create_app
from server.config import DEFAULT_NODE_MODULES, Settings
from tests.conftest import scratch_database
from tests.realtime.conftest import free_socket

WAIT = 10.0
CHROMIUM = os.environ.get("BOOKING_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parent / "screenshots"


@dataclass
class DashServer:
    url: str
    http: httpx.AsyncClient
    database_url: str


@pytest.fixture(scope="session")
async def dash_settings(settings: Settings, services: tuple[str, str]) -> AsyncIterator[Settings]:
    async with scratch_database(services[0], "booking_dash") as url:
        yield msgspec.structs.replace(
            settings,
            database_url=url,
            heartbeat_seconds=0.5,
            relay_poll_seconds=0.2,
            node_modules=str(DEFAULT_NODE_MODULES),
        )


@pytest.fixture(scope="session")
async def dash(dash_settings: Settings) -> AsyncIterator[DashServer]:
    if not (DEFAULT_NODE_MODULES / "socket.io-client").is_dir():
        pytest.fail("the dashboard's npm packages are missing: run `make js`")
    app = create_app(dash_settings)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", ws="websockets-sansio", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            yield DashServer(url=url, http=http, database_url=dash_settings.require_database_url())
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)
        sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


class Contexts:
    """Browser contexts a test opened, closed at the end; requests leaving loopback fail."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.opened: list[BrowserContext] = []
        self.outside: list[str] = []

    async def page(self, **options: Any) -> Page:
        context = await self.browser.new_context(base_url=self.base_url, **options)
        self.opened.append(context)
        await context.route(lambda url: not url.startswith(self.base_url), self._refuse)
        page = await context.new_page()
        page.set_default_timeout(WAIT * 1000)
        return page

    async def _refuse(self, route: Any) -> None:
        self.outside.append(route.request.url)
        await route.abort()

    async def close(self) -> None:
        for context in self.opened:
            await context.close()


@pytest.fixture
async def contexts(browser: Browser, dash: DashServer) -> AsyncIterator[Contexts]:
    opened = Contexts(browser, dash.url)
    yield opened
    await opened.close()
    assert opened.outside == [], "the dashboard must not load anything from other hosts"


async def sign_in(page: Page, tenant: str, email: str, password: str) -> None:
    await page.goto("/")
    await page.fill("input[name=tenant]", tenant)
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_selector("[data-connection=online]")
    await page.wait_for_selector("#schedule[aria-busy=false]")


async def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path
