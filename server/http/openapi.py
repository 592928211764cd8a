"""The OpenAPI 3.1 document, generated from the declared routes of an ``Api`` registry.

Every route in the registry is described, including ``/openapi.json`` and the docs page
themselves, so the document and the router can never disagree. Error responses follow
from each declaration: a role adds 401/403, a body or query 422, a path parameter 404, a
body 400/413, every route 429 and 500, plus the route's own ``errors``; all of them are
``application/problem+json`` bodies of the one ``Problem`` schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server import errors
from server.http.api import Api, RouteSpec
from server.operations import WRITE_METHODS
from server.schemas import Out

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{name}"
PROBLEM_MEDIA = "application/problem+json"
# PATCH on this path takes an optimistic-concurrency precondition.

STATUS_TEXT: dict[int, str] = {
    400: "Malformed JSON (`malformed_json`)",
    401: "Missing, invalid or expired access token (`unauthorized`)",
    403: "The caller's role does not allow this (`forbidden`)",
    404: "Unknown id, or an id of another tenant (`not_found`)",
    405: "Method not allowed (`method_not_allowed`)",
    409: "Conflict with the current state",
    410: "Gone",
    412: "`If-Match` names a stale version (`version_mismatch`)",
    413: "Body larger than the limit (`payload_too_large`)",
    422: "Invalid input; `validation_error` lists every bad field in `errors`",
    429: "Rate limit reached (`rate_limited`); see `Retry-After`",
    500: "Unexpected error (`internal`); the body carries only the request id",
    503: "A required service is unreachable or saturated (`service_unavailable`); see"
    " `Retry-After`",
}


class ProblemFieldError(Out):
    field: Annotated[str, Meta(description="Dotted path of the bad field")]
    message: str


class ProblemConflict(Out):
    id: UUID
    number: int
    start: datetime
    end: datetime
    status: str


class Problem(Out):
    """An RFC 9457 problem; ``code`` is the stable, machine-readable part."""

    type: Annotated[str, Meta(description="A URI naming the problem type")]
    title: str
    status: int
    detail: str
    code: Annotated[str, Meta(description="Stable snake_case error code")]
    errors: Annotated[
        list[ProblemFieldError] | UnsetType, Meta(description="Every bad field (422)")
    ] = UNSET
    conflicts: Annotated[
        list[ProblemConflict] | UnsetType,
        Meta(description="The overlapping bookings (`booking_conflict`)"),
    ] = UNSET
    refs: Annotated[
        list[str] | UnsetType,
        Meta(description="The demands that no longer fit (`booking_conflict` of a solver commit)"),
    ] = UNSET
    request_id: Annotated[str | UnsetType, Meta(description="Same as `X-Request-ID`")] = UNSET


def error_codes() -> dict[int, list[str]]:
    """Every ``AppError`` code the server defines, by HTTP status."""
    found: dict[int, set[str]] = {}
    pending: list[type[errors.AppError]] = [errors.AppError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.status, set()).add(cls.code)
        pending.extend(cls.__subclasses__())
    return {status: sorted(codes) for status, codes in sorted(found.items())}


def describe_conventions() -> str:
    rows = "\n".join(
        f"| {status} | {', '.join(f'`{c}`' for c in codes)} |"
        for status, codes in error_codes().items()
    )
    return f"""\
Multi-tenant resource booking API.

**Conventions**

- JSON in and out. Times are RFC 3339 **with an offset** (`2026-03-01T09:00:00+01:00`);
  a time without one is rejected with 422. Responses give UTC with `Z`.
- Periods are half-open `[start, end)`: 10:00-11:00 and 11:00-12:00 do not overlap.
- Ids are UUIDs. Unknown ids and ids of another tenant are both `404 not_found`.
- Lists are keyset-paginated: `?limit=1..200` (default 50) and `?cursor=`; responses are
  `{{"items": [...], "next_cursor": "..." | null}}`. Filters taking several values are
  comma-separated (`status=pending,confirmed`).
- Authenticate with `Authorization: Bearer <access_token>` (from signup, login or refresh).
- Writes accept `Idempotency-Key`: the same key and body within 24 h replays the first
  response; the same key with another body is `422 idempotency_key_reused`.
- Every response carries `X-Request-ID` (a valid incoming one is echoed).
- Errors are `application/problem+json` (RFC 9457) with a stable `code`:

| status | codes |
| --- | --- |
{rows}

This document lists every route the server answers, including `/openapi.json`, `/docs`
and the docs page's assets.
"""


def build_document(api: Api, *, title: str = "Booking API", version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3.1 document for every route declared in ``api``."""
    types = _struct_types(api.routes)
    refs, schemas = msgspec.json.schema_components(types, ref_template=REF)
    _no_nul(schemas)
    by_type = dict(zip(types, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    operation_ids: set[str] = set()
    statuses: set[int] = set()
    for spec in api.routes:
        if spec.tag not in tags:
            tags.append(spec.tag)
        operation = _operation(spec, by_type, schemas, operation_ids)
        statuses.update(
            int(status) for status, answer in operation["responses"].items() if "$ref" in answer
        )
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, "description": describe_conventions()},
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in tags],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": _problem_responses(statuses),
            "headers": {
                "RequestId": {
                    "description": "The request's id: a valid incoming one, else a fresh one",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                },
                "RetryAfter": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 0},
                },
                "ETag": {
                    "description": 'The entity\'s version, quoted (`"3"`): send it as If-Match',
                    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
                },
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


# Text the server takes never holds U+0000 (PostgreSQL cannot store it).
NO_NUL = "^[^\\u0000]*$"


def _no_nul(node: Any) -> None:
    """State the no-NUL rule on every free-text string schema (no pattern, format or enum)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _struct_types(routes: list[RouteSpec]) -> list[Any]:
    types: list[Any] = [Problem]
    for spec in routes:
        for cls in (spec.body, spec.query, spec.response, *spec.other_responses.values()):
            if cls is not None and cls not in types:
                types.append(cls)
    return types


def _ref_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[-1]


def _operation(
    spec: RouteSpec,
    by_type: dict[Any, dict[str, Any]],
    schemas: dict[str, Any],
    operation_ids: set[str],
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": _operation_id(spec, operation_ids),
        "summary": spec.summary,
        "tags": [spec.tag],
    }
    if spec.role is None:
        op["security"] = []
    else:
        op["description"] = f"Needs the `{spec.role}` role or above."
    parameters = [_path_parameter(name) for name in spec.params]
    if spec.query is not None:
        parameters.extend(_query_parameters(schemas[_ref_name(by_type[spec.query])]))
    parameters.extend(_header_parameters(spec))
    if parameters:
        op["parameters"] = parameters
    if spec.body is not None:
        body_schema = schemas[_ref_name(by_type[spec.body])]
        op["requestBody"] = {
            "required": bool(body_schema.get("required")),
            "content": {"application/json": {"schema": by_type[spec.body]}},
        }
    responses: dict[str, Any] = {str(spec.status): _success(spec, by_type)}
    for status in _error_statuses(spec):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    for status, cls in spec.other_responses.items():
        responses[str(status)] = {
            "description": STATUS_TEXT.get(status, "Error"),
            "headers": {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/json": {"schema": by_type[cls]}},
        }
    op["responses"] = responses
    return op


def _operation_id(spec: RouteSpec, taken: set[str]) -> str:
    base = getattr(spec.handler, "__name__", "") or spec.method.lower()
    candidate = base
    if candidate in taken:
        candidate = f"{spec.tag}_{base}"
    number = 2
    while candidate in taken:
        candidate = f"{spec.tag}_{base}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _path_parameter(name: str) -> dict[str, Any]:
    thing = name.removesuffix("_id") if name != "id" else "entity"
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {thing}'s id; unknown or another tenant's answers 404",
        "schema": {"type": "string", "format": "uuid"},
    }


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    params: list[dict[str, Any]] = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            param["description"] = prop["description"]
        if _is_array(prop):
            # Several values arrive comma-separated (repeating the parameter works too).
            param["style"] = "form"
            param["explode"] = False
        param["schema"] = prop
        params.append(param)
    return params


def _is_array(prop: dict[str, Any]) -> bool:
    if prop.get("type") == "array":
        return True
    return any(option.get("type") == "array" for option in prop.get("anyOf", ()))


def _header_parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    headers: list[dict[str, Any]] = []
    # Every authenticated write takes the key (a non-transactional one, such as the solver,
    # handles it itself).
    if spec.role is not None and spec.method in WRITE_METHODS:
        headers.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Replays the first response for the same key and body (24 h)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if spec.if_match:
        headers.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": 'The version the change is based on, e.g. `"3"`; stale → 412',
                "schema": {"type": "string"},
            }
        )
    return headers


def _has_version(cls: Any) -> bool:
    """Responses of an entity with an integer ``version`` carry it as ETag (see api.py)."""
    if not (isinstance(cls, type) and issubclass(cls, msgspec.Struct)):
        return False
    return any(f.name == "version" and f.type is int for f in msgspec.structs.fields(cls))


def _success(spec: RouteSpec, by_type: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": spec.summary,
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}},
    }
    if spec.status == 204:
        return response
    if spec.response is not None:
        schema: dict[str, Any] = by_type[spec.response]
        if _has_version(spec.response):
            response["headers"]["ETag"] = {"$ref": "#/components/headers/ETag"}
    elif spec.content_type.startswith("application/json"):
        schema = {}
    else:
        schema = {"type": "string"}
    response["content"] = {spec.content_type: {"schema": schema}}
    return response


def _error_statuses(spec: RouteSpec) -> list[int]:
    # Any route may meet a database or Redis that is restarting: 503 with Retry-After.
    statuses = (set(spec.errors) | {429, 500, 503}) - set(spec.other_responses)
    if spec.role is not None:
        statuses |= {401, 403}
    if spec.body is not None or spec.query is not None:
        statuses.add(422)
    if spec.params:
        statuses.add(404)
    if spec.body is not None:
        statuses |= {400, 413}
    if spec.if_match:
        statuses |= {412, 422}
    statuses.discard(spec.status)
    return sorted(statuses)


def _problem_responses(statuses: set[int]) -> dict[str, Any]:
    codes = error_codes()
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        text = STATUS_TEXT.get(status, "Error")
        if codes.get(status):
            text += ". Codes: " + ", ".join(f"`{code}`" for code in codes[status])
        headers: dict[str, Any] = {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}}
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
        responses[f"Problem{status}"] = {
            "description": text,
            "headers": headers,
            "content": {PROBLEM_MEDIA: {"schema": {"$ref": REF.format(name="Problem")}}},
        }
    return responses
