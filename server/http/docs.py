"""``/openapi.json`` and the offline Swagger UI 5 page at ``/docs``.

The document is built on first request from the final registry (which includes these
routes), then cached. Swagger UI 5 renders OpenAPI 3.1 itself; its files come from the
npm package ``swagger-ui-dist`` (``make js``), served as they are under
``/docs/assets/``. The page loads nothing from other hosts (its validator badge, which
would call out, is turned off).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from starlette.responses import HTMLResponse, Response

from server.config import DEFAULT_NODE_MODULES
from server.http.api import Api, Call
from server.http.assets import StaticFolder, missing_message, package_dir
from server.http.openapi import build_document
from server.schemas import encoder

PACKAGE = "swagger-ui-dist"
ASSETS_PATH = "/docs/assets"
DOC_CACHE = "no-cache"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Booking API reference</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null
}});
</script>
</body>
</html>
"""

MISSING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Booking API reference</title></head>
<body><h1>API reference unavailable</h1><p>{message}.</p>
<p>The document itself is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>
"""


def _version() -> str:
    try:
        return metadata.version("booking-server")
    except metadata.PackageNotFoundError:
        return "0"


def docs_api(registry: Api, node_modules: Path = DEFAULT_NODE_MODULES) -> Api:
    """The docs routes, describing ``registry`` (which should include them)."""
    api = Api()
    cached: list[bytes] = []
    assets = StaticFolder(package_dir(node_modules, PACKAGE), missing_message(PACKAGE))
    api.mount(ASSETS_PATH, assets)

    @api.route("GET", "/openapi.json", role=None, summary="OpenAPI 3.1 document", tag="docs")
    async def openapi_document(call: Call) -> Response:
        if not cached:
            cached.append(encoder.encode(build_document(registry, version=_version())))
        return Response(
            cached[0], media_type="application/json", headers={"Cache-Control": DOC_CACHE}
        )

    @api.route(
        "GET",
        "/docs",
        role=None,
        summary="API reference page (Swagger UI 5, served without internet access)",
        tag="docs",
        content_type="text/html; charset=utf-8",
    )
    async def docs_page(call: Call) -> Response:
        if not assets.available:
            return HTMLResponse(MISSING_PAGE.format(message=missing_message(PACKAGE)), 503)
        return HTMLResponse(PAGE)

    return api
