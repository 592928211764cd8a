import re
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
import msgspec
from openapi_spec_validator import validate

from server.app import build_api
from server.http.api import Api
from server.http.docs import ASSETS_PATH
from server.http.openapi import build_document

METHODS = {"get", "post", "put", "patch", "delete"}


def _resolve(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        node: Any = doc
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


async def test_document_validates_and_lists_every_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    registry = build_api().routes
    declared = {(spec.method.lower(), spec.path) for spec in registry}
    documented = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == declared
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


async def test_every_operation_declares_params_and_problem_responses() -> None:
    api = build_api()
    doc = build_document(api)
    for spec in api.routes:
        op = doc["paths"][spec.path][spec.method.lower()]
        params = {(p["name"], p["in"]) for p in op.get("parameters", [])}
        for name in re.findall(r"{(\w+)}", spec.path):
            assert (name, "path") in params, (spec.path, name)
        assert str(spec.status) in op["responses"]
        problems = [
            _resolve(doc, r)
            for status, r in op["responses"].items()
            if int(status) >= 400 and int(status) not in spec.other_responses
        ]
        assert {"429", "500", "503"} <= set(op["responses"])
        for problem in problems:
            schema = problem["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}
        if spec.role is not None:
            assert {"401", "403"} <= set(op["responses"]), spec.path
            assert op.get("security") is None
        else:
            assert op["security"] == []
        if spec.body is not None or spec.query is not None:
            assert "422" in op["responses"]
        if spec.params:
            assert "404" in op["responses"]
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert {"errors", "conflicts", "request_id"} <= set(problem["properties"])


async def test_document_is_cached(client: httpx.AsyncClient) -> None:
    first = await client.get("/openapi.json")
    second = await client.get("/openapi.json")
    assert first.content == second.content


async def test_docs_page_renders_the_31_document_with_local_assets(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'url: "/openapi.json"' in page
    assert "validatorUrl: null" in page
    assert re.findall(r"https?://", page) == []
    assert "/docs/openapi-3.0.json" not in page
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(referenced) == 3
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in referenced:
        assert url.startswith(ASSETS_PATH + "/")
        asset = await client.get(url)
        assert asset.status_code == 200, url
        media = asset.headers["content-type"].split(";")[0]
        suffix = url[url.rindex(".") :]
        assert media == types[suffix] or (suffix == ".js" and media == "application/javascript")
        assert asset.headers["etag"]
        assert asset.content
    bundle = (await client.get(f"{ASSETS_PATH}/package.json")).json()
    assert bundle["name"] == "swagger-ui-dist"
    assert int(bundle["version"].split(".")[0]) >= 5  # renders OpenAPI 3.1 itself


async def test_the_30_shim_is_gone(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/openapi-3.0.json")
    assert response.status_code == 404


async def test_asset_paths_outside_the_package_are_not_found(client: httpx.AsyncClient) -> None:
    for name in ("no-such-file.js", "..%2F..%2Fpyproject.toml", "../../server/app.py"):
        response = await client.get(f"{ASSETS_PATH}/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"


class _Inner(msgspec.Struct, kw_only=True):
    at: datetime


class _Awkward(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pair: tuple[Annotated[str, msgspec.Meta(examples=["09:00"])], int]
    by_day: dict[Literal["mon", "tue"], list[tuple[str, str]]] | None = None
    ratio: Annotated[float, msgspec.Meta(gt=0, lt=1)] = 0.5
    inner: _Inner | None = None
    kind: Literal["only"] = "only"
    items: list[Any] = []


class _Filters(msgspec.Struct, kw_only=True):
    status: Annotated[list[str] | None, msgspec.Meta(description="Comma-separated")] = None


def test_awkward_schemas_validate() -> None:
    api = Api()

    @api.route(
        "PATCH",
        "/v1/things/{id}",
        role="member",
        summary="Edit",
        tag="things",
        body=_Awkward,
        query=_Filters,
        response=_Awkward,
    )
    async def edit_thing(call: Any, tx: Any) -> None: ...

    doc = build_document(api)
    validate(doc)
    op = doc["paths"]["/v1/things/{id}"]["patch"]
    names = {(p["name"], p["in"]) for p in op["parameters"]}
    assert names == {("id", "path"), ("status", "query"), ("Idempotency-Key", "header")}
    status = next(p for p in op["parameters"] if p["name"] == "status")
    assert status["explode"] is False
    assert status["description"] == "Comma-separated"


def test_a_route_declares_if_match() -> None:
    api = Api()

    @api.route("PATCH", "/v1/things/{id}", role="member", summary="Edit", tag="t", if_match=True)
    async def edit_thing(call: Any, tx: Any) -> None: ...

    @api.route("PUT", "/v1/things/{id}", role="member", summary="Replace", tag="t")
    async def replace_thing(call: Any, tx: Any) -> None: ...

    item = build_document(api)["paths"]["/v1/things/{id}"]
    headers = {m: {p["name"] for p in item[m]["parameters"] if p["in"] == "header"} for m in item}
    assert headers == {"patch": {"If-Match", "Idempotency-Key"}, "put": {"Idempotency-Key"}}


def test_booking_patch_documents_if_match_and_412() -> None:
    doc = build_document(build_api())
    takes_if_match = {
        (method, path)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if "If-Match" in {p["name"] for p in op.get("parameters", ())}
    }
    assert takes_if_match == {("patch", "/v1/bookings/{booking_id}")}
    assert "412" in doc["paths"]["/v1/bookings/{booking_id}"]["patch"]["responses"]


async def test_readyz_503_is_the_readiness_object_not_a_problem(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    answers = doc["paths"]["/readyz"]["get"]["responses"]
    unready = answers["503"]["content"]
    assert list(unready) == ["application/json"]
    assert unready["application/json"]["schema"] == {"$ref": "#/components/schemas/Readiness"}
    assert answers["200"]["content"]["application/json"] == unready["application/json"]


async def test_booking_responses_declare_their_etag(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    get = paths["/v1/bookings/{booking_id}"]["get"]["responses"]["200"]
    assert get["headers"]["ETag"] == {"$ref": "#/components/headers/ETag"}
    listed = paths["/v1/bookings"]["get"]["responses"]["200"]
    assert "ETag" not in listed["headers"]


def test_path_parameters_name_what_they_identify() -> None:
    """``{user_id}``, ``{resource_id}``, ``{feed_id}``: never a bare ``{id}``."""
    for spec in build_api().routes:
        for name in spec.params:
            assert name.endswith("_id") and name != "_id", spec.path
