"""A 3.0 rendition of the OpenAPI 3.1 document, for the bundled Swagger UI.

The offline Swagger UI (4.15, from ``swagger-ui-bundle``) renders only ``openapi: 3.0.n``.
``/openapi.json`` stays 3.1 (JSON Schema 2020-12, as msgspec writes it); the docs page
reads this rewrite, which expresses the same schemas in the 3.0 dialect: ``null``
alternatives become ``nullable``, numeric exclusive bounds become boolean flags, tuple
``prefixItems`` become a plain ``items`` schema and ``const`` a one-value ``enum``.
"""

from __future__ import annotations

from typing import Any

OPENAPI_30 = "3.0.3"
_NULL = {"type": "null"}
# JSON Schema 2020-12 keywords with no 3.0 counterpart; they only narrow, so dropping them
# loosens the docs page's view and never misstates what is valid.
_UNSUPPORTED = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "propertyNames",
        "contains",
        "minContains",
        "maxContains",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedItems",
        "unevaluatedProperties",
        "if",
        "then",
        "else",
        "contentEncoding",
        "contentMediaType",
    }
)


def downgrade(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` (OpenAPI 3.1) that validates as OpenAPI 3.0."""
    out = {key: value for key, value in document.items() if key not in ("jsonSchemaDialect",)}
    out["openapi"] = OPENAPI_30
    out["paths"] = {
        path: {method: _operation(op) for method, op in item.items()}
        for path, item in document["paths"].items()
    }
    components = dict(document.get("components", {}))
    components["schemas"] = {
        name: schema_30(schema) for name, schema in components.get("schemas", {}).items()
    }
    out["components"] = components
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    op = dict(op)
    if "parameters" in op:
        op["parameters"] = [
            {**param, "schema": schema_30(param["schema"])} if "schema" in param else param
            for param in op["parameters"]
        ]
    for holder in ("requestBody",):
        if holder in op:
            op[holder] = _with_content(op[holder])
    op["responses"] = {
        status: _with_content(response) for status, response in op["responses"].items()
    }
    return op


def _with_content(item: dict[str, Any]) -> dict[str, Any]:
    if "content" not in item:
        return item
    content = {
        media: {**body, "schema": schema_30(body["schema"])} if "schema" in body else body
        for media, body in item["content"].items()
    }
    return {**item, "content": content}


def schema_30(schema: Any) -> Any:
    """One JSON Schema 2020-12 schema rewritten in the OpenAPI 3.0 schema dialect."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):
            out[key] = {name: schema_30(sub) for name, sub in value.items()}
        elif key in _UNSUPPORTED:
            continue
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = [schema_30(sub) for sub in value]
        elif key in ("items", "additionalProperties", "not"):
            out[key] = schema_30(value) if isinstance(value, dict) else value
        else:
            out[key] = value
    _nullable(out)
    _bounds(out)
    if out.get("required") == []:
        del out["required"]  # 3.0 wants at least one name; a Struct of optional fields has none
    if "prefixItems" in out:
        prefix = out.pop("prefixItems")
        distinct = [s for i, s in enumerate(prefix) if s not in prefix[:i]]
        out["items"] = distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
    if out.get("items") in (False, True) or (out.get("type") == "array" and "items" not in out):
        out["items"] = {}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "examples" in out:
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    if "$ref" in out and len(out) > 1:
        # 3.0 ignores siblings of $ref; keep them by wrapping the reference.
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _nullable(out: dict[str, Any]) -> None:
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        if len(types) < len(out["type"]):
            out["nullable"] = True
        out["type"] = types[0] if len(types) == 1 else types
    if "enum" in out and None in out["enum"]:
        out["enum"] = [v for v in out["enum"] if v is not None]
        out["nullable"] = True
    options = out.get("anyOf")
    if not options or _NULL not in options:
        return
    rest = [option for option in options if option != _NULL]
    del out["anyOf"]
    out["nullable"] = True
    if len(rest) > 1:
        out["anyOf"] = rest
    elif "$ref" in rest[0]:
        out["allOf"] = rest
    else:
        for key, value in rest[0].items():
            out.setdefault(key, value)


def _bounds(out: dict[str, Any]) -> None:
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if isinstance(value, bool) or value is None:
            continue
        out[inclusive] = value
        out[exclusive] = True
