"""``GET /`` → ``/app/``, the dashboard page, its own files and the npm packages it loads.

The page (``static/index.html``) and its modules are ours, in ``static/``; the Socket.IO
client comes from the npm package ``socket.io-client`` that ``make js`` installs, served
from ``node_modules`` as it is. Without that package the server still starts and
``/app/`` answers 503 with a page naming the command that installs it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse, RedirectResponse, Response

from server.config import DEFAULT_NODE_MODULES
from server.http.api import Api, Call
from server.http.assets import StaticFolder, missing_message, package_dir

STATIC = Path(__file__).resolve().parent / "static"
SOCKET_CLIENT = "socket.io-client"
PAGE_PATH = "/app/"

MISSING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Booking dashboard</title></head>
<body><main><h1>Dashboard unavailable</h1><p>{message}.</p>
<p>The API works meanwhile; its reference is at <a href="/docs">/docs</a>.</p></main>
</body></html>
"""


def dashboard_api(node_modules: Path = DEFAULT_NODE_MODULES) -> Api:
    api = Api()
    client = StaticFolder(
        package_dir(node_modules, SOCKET_CLIENT, "dist"), missing_message(SOCKET_CLIENT)
    )
    api.mount("/app/static", StaticFolder(STATIC, "The dashboard's files are missing"))
    api.mount("/app/vendor/socket.io-client", client)
    page = (STATIC / "index.html").read_text()

    @api.route("GET", "/", role=None, summary="Redirect to the dashboard", tag="dashboard")
    async def root(call: Call) -> Response:
        return RedirectResponse(PAGE_PATH, status_code=307)

    @api.route("GET", "/app", role=None, summary="Redirect to the dashboard", tag="dashboard")
    async def app_without_slash(call: Call) -> Response:
        return RedirectResponse(PAGE_PATH, status_code=307)

    @api.route(
        "GET",
        PAGE_PATH,
        role=None,
        summary="The live schedule dashboard (served without internet access)",
        tag="dashboard",
        content_type="text/html; charset=utf-8",
    )
    async def dashboard_page(call: Call) -> Response:
        if not client.available:
            return HTMLResponse(MISSING_PAGE.format(message=missing_message(SOCKET_CLIENT)), 503)
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    return api
