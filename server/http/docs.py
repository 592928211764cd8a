"""``/openapi.json``, the offline Swagger UI page at ``/docs`` and its assets.

The routes are declared in an ``Api`` like every other, so they appear in the document
too. The document is built on first request from the final registry, then cached.
Swagger UI's files come from the ``swagger-ui-bundle`` package; the page loads nothing
from other hosts (its validator badge, which would call out, is turned off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from starlette.responses import Response
from swagger_ui_bundle import swagger_ui_path

from server.http.api import Api, Call, Handler
from server.http.openapi import build_document
from server.http.openapi30 import downgrade
from server.schemas import encoder

ASSET_DIR = Path(swagger_ui_path)
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
ASSET_CACHE = "public, max-age=604800"
DOC_CACHE = "no-cache"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Booking API reference</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/docs/openapi-3.0.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null
});
</script>
</body>
</html>
"""


def _version() -> str:
    try:
        return metadata.version("booking-server")
    except metadata.PackageNotFoundError:
        return "0"


@dataclass(slots=True)
class _Cache:
    registry: Api
    documents: dict[str, bytes] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)

    def document(self, dialect: str) -> bytes:
        if dialect not in self.documents:
            doc = build_document(self.registry, version=_version())
            self.documents["3.1"] = encoder.encode(doc)
            self.documents["3.0"] = encoder.encode(downgrade(doc))
        return self.documents[dialect]

    def asset(self, name: str) -> bytes:
        if name not in self.assets:
            self.assets[name] = (ASSET_DIR / name).read_bytes()
        return self.assets[name]


def docs_api(registry: Api) -> Api:
    """The docs routes, describing ``registry`` (which should include them)."""
    api = Api()
    cache = _Cache(registry)

    @api.route("GET", "/openapi.json", role=None, summary="OpenAPI 3.1 document", tag="docs")
    async def openapi_document(call: Call) -> Response:
        return Response(
            cache.document("3.1"),
            media_type="application/json",
            headers={"Cache-Control": DOC_CACHE},
        )

    @api.route(
        "GET",
        "/docs/openapi-3.0.json",
        role=None,
        summary="The same document in OpenAPI 3.0 form, for the bundled Swagger UI",
        tag="docs",
    )
    async def openapi_document_30(call: Call) -> Response:
        return Response(
            cache.document("3.0"),
            media_type="application/json",
            headers={"Cache-Control": DOC_CACHE},
        )

    @api.route(
        "GET",
        "/docs",
        role=None,
        summary="API reference page (Swagger UI, served without internet access)",
        tag="docs",
        content_type="text/html; charset=utf-8",
    )
    async def docs_page(call: Call) -> Response:
        return Response(PAGE, media_type="text/html; charset=utf-8")

    for name, media in ASSETS.items():
        api.route(
            "GET",
            f"/docs/assets/{name}",
            role=None,
            summary=f"Docs page asset {name}",
            tag="docs",
            content_type=media,
        )(_asset_handler(cache, name, media))
    return api


def _asset_handler(cache: _Cache, name: str, media: str) -> Handler:
    async def handler(call: Call) -> Response:
        return Response(cache.asset(name), headers={"Cache-Control": ASSET_CACHE}, media_type=media)

    handler.__name__ = "asset_" + name.replace("-", "_").replace(".", "_")
    return handler
