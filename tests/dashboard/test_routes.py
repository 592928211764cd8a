"""The dashboard's routes: the redirect, the page, its files, and a server without npm."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import msgspec
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.config import Settings


async def test_root_redirects_to_the_page(client: httpx.AsyncClient) -> None:
    for path in ("/", "/app"):
        response = await client.get(path)
        assert response.status_code == 307
        assert response.headers["location"] == "/app/"


async def test_the_page_and_every_file_it_names_are_served_locally(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert re.findall(r"https?://", page.text) == []
    for name in ("tenant", "email", "password"):
        assert f'name="{name}"' in page.text
    assert 'data-connection="offline"' in page.text
    assert 'id="schedule"' in page.text and 'data-seq="0"' in page.text
    urls = re.findall(r'(?:src|href)="(/app/[^"]+)"', page.text)
    urls += re.findall(r'"(/app/vendor/[^"]+)"', page.text)  # the import map
    modules = ["main.js", "session.js", "live.js", "render.js", "actions.js", "week.js"]
    urls += [f"/app/static/{name}" for name in modules]
    assert "/app/vendor/socket.io-client/socket.io.esm.min.js" in urls
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["etag"]
        for imported in re.findall(r'from "(\./[^"]+)"', response.text):
            assert imported.removeprefix("./") in modules, (url, imported)


async def test_files_outside_the_folders_are_not_found(client: httpx.AsyncClient) -> None:
    for path in (
        "/app/static/nothing.js",
        "/app/static/..%2Froutes.py",
        "/app/vendor/socket.io-client/..%2Fpackage.json",
        "/app/vendor/other/x.js",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_without_node_modules_the_server_starts_and_says_what_to_run(
    settings: Settings, tmp_path: Path
) -> None:
    bare = msgspec.structs.replace(settings, node_modules=str(tmp_path / "node_modules"))
    app = create_app(bare)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/healthz")).status_code == 200
            page = await http.get("/app/")
            assert page.status_code == 503
            assert "socket.io-client" in page.text and "make js" in page.text
            asset = await http.get("/app/vendor/socket.io-client/socket.io.esm.min.js")
            assert asset.status_code == 503
            assert "make js" in asset.json()["detail"]
            docs = await http.get("/docs")
            assert docs.status_code == 503
            assert "swagger-ui-dist" in docs.text
            assert (await http.get("/openapi.json")).status_code == 200
            assert (await http.get("/app/static/main.js")).status_code == 200
