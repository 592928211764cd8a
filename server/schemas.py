"""Shared msgspec building blocks and decoding that reports every bad field at once.

HTTP routes and socket handlers both decode through ``convert``/``decode_json`` so a bad
payload gets the same problem body on either face.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec

from server.errors import MalformedJson, ValidationFailed

T = TypeVar("T")

# RFC 3339 with an offset; a naive time is rejected.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Id = UUID
Reason = Annotated[str, msgspec.Meta(max_length=500)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=200)]


class Schema(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base for request bodies: unknown fields are errors."""


class Out(msgspec.Struct, kw_only=True):
    """Base for responses."""


class Page(msgspec.Struct, kw_only=True):
    items: list[Any]
    next_cursor: str | None


_PATH = re.compile(r" - at `\$(.*)`$")
_json = msgspec.json.Decoder()


def _field_error(exc: msgspec.ValidationError, field: str) -> dict[str, str]:
    message = str(exc)
    match = _PATH.search(message)
    if match:
        message = message[: match.start()]
        tail = match.group(1)
        path = re.sub(r"\[(\d+)\]", r".\1", tail).lstrip(".")
        field = path or field
    return {"field": field, "message": message}


@cache
def _probes(cls: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """One single-field Struct per field, to validate fields independently."""
    probes: dict[str, type[msgspec.Struct]] = {}
    hints = msgspec.structs.fields(cls)
    for info in hints:
        probes[info.encode_name] = msgspec.defstruct(
            f"{cls.__name__}_{info.name}", [(info.encode_name, info.type)], kw_only=True
        )
    return probes


def _all_errors(obj: Any, cls: type[msgspec.Struct], *, strict: bool) -> list[dict[str, str]]:
    if not isinstance(obj, dict):
        return [{"field": "body", "message": "Expected an object"}]
    infos = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    errors: list[dict[str, str]] = []
    forbid = cls.__struct_config__.forbid_unknown_fields
    for key in obj:
        if key not in infos and forbid:
            errors.append({"field": str(key), "message": "Unknown field"})
    for name, info in infos.items():
        if name not in obj:
            if info.required:
                errors.append({"field": name, "message": "Field is required"})
            continue
        try:
            msgspec.convert({name: obj[name]}, _probes(cls)[name], strict=strict)
        except msgspec.ValidationError as exc:
            errors.append(_field_error(exc, name))
    return errors


def convert(obj: Any, cls: type[T], *, strict: bool = True) -> T:
    """Convert a decoded JSON value to ``cls``, listing every bad field on failure."""
    try:
        return msgspec.convert(obj, cls, strict=strict)
    except msgspec.ValidationError as exc:
        if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
            errors = _all_errors(obj, cls, strict=strict)
            if errors:
                raise ValidationFailed(errors) from None
        raise ValidationFailed([_field_error(exc, "body")]) from None


def decode_json(raw: bytes, cls: type[T]) -> T:
    """Decode a JSON body: 400 ``malformed_json`` if it is not JSON, else ``convert``."""
    try:
        obj = _json.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        raise MalformedJson("The request body is not valid JSON") from None
    return convert(obj, cls)


encoder = msgspec.json.Encoder()


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
