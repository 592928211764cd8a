"""Shared msgspec building blocks and decoding that reports every bad field at once.

HTTP routes and socket handlers both decode through ``convert``/``decode_json`` so a bad
payload gets the same problem body on either face.

How a bad payload is reported (a 422 whose ``errors`` hold one ``{field, message}`` per
bad field, CONTRACT.md):

- msgspec stops at the first bad value, so when a Struct fails its fields are judged one
  by one.
- What the types say comes from msgspec's type information (``msgspec.inspect``): the
  fields, which are required, whether unknown ones are refused, and which field holds a
  nested Struct (judged the same way under a dotted prefix: ``admin.email``).
- Any other field is converted alone, through a one-field Struct. msgspec says where a
  value failed only in its message (``... - at `$.working_hours[...][0][1]```): that
  suffix is the one thing read from the text. The message is what precedes it; the path,
  indexes joined with dots, is the field (``working_hours.mon.0.1``). A mapping key shows
  as ``[...]``: each entry is then converted alone to name its key, and every bad key is
  listed.
- Checks no type can express (``Schema.__checks__``), times without a UTC equivalent and
  strings holding U+0000 are added last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec
import msgspec.inspect

from server.errors import MalformedJson, ValidationFailed

T = TypeVar("T")

# RFC 3339 with an offset; a naive time is rejected.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=200)]


# A check beyond what a type can say (a zone name, a duration): ``check(value, field)``
# raises ValidationFailed for a bad value.
Check = Callable[[Any, str], object]


class Schema(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base for request bodies: unknown fields are errors.

    ``__checks__`` maps a field to a Check run on every decode (when the field is set), so
    one 422 lists the fields msgspec refuses together with the ones these checks refuse.
    """

    __checks__: ClassVar[Mapping[str, Check]] = {}


class Out(msgspec.Struct, kw_only=True):
    """Base for responses."""


class Deactivate(Schema):
    """The body of a soft delete of a project or a resource."""

    reason: Annotated[Reason, msgspec.Meta(min_length=1)]


_PATH = re.compile(r" - at `\$(.*)`$")
# A bad mapping key itself: "... - at `key` in `$.working_hours`".
_KEY_PATH = re.compile(r" - at `key` in `\$(.*)`$")
_json = msgspec.json.Decoder()


def _field_error(exc: msgspec.ValidationError, field: str) -> dict[str, str]:
    message = str(exc)
    key = _KEY_PATH.search(message)
    if key:
        message = message[: key.start()]
        path = re.sub(r"\[(\d+)\]", r".\1", key.group(1)).lstrip(".")
        return {"field": f"{path or field}[...]", "message": message}
    match = _PATH.search(message)
    if match:
        message = message[: match.start()]
        tail = match.group(1)
        path = re.sub(r"\[(\d+)\]", r".\1", tail).lstrip(".")
        field = path or field
    return {"field": field, "message": message}


def _keyed_errors(
    exc: msgspec.ValidationError, cls: type[msgspec.Struct], name: str, value: Any, *, strict: bool
) -> list[dict[str, str]]:
    """The errors of one field, naming mapping keys: msgspec writes a key as ``[...]``
    (``working_hours[...].0.1``); each key is probed alone to name it
    (``working_hours.mon.0.1``), and every bad key is listed."""
    error = _field_error(exc, name)
    if "[...]" not in error["field"] or not isinstance(value, dict):
        return [error]
    found: list[dict[str, str]] = []
    for key, item in value.items():
        try:
            msgspec.convert({name: {key: item}}, _probes(cls)[name], strict=strict)
        except msgspec.ValidationError as one:
            keyed = _field_error(one, name)
            keyed["field"] = keyed["field"].replace("[...]", f".{key}", 1)
            found.append(keyed)
    return found or [error]


@cache
def _probes(cls: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """One single-field Struct per field, to validate fields independently (built from
    the field's Python annotation, which ``defstruct`` takes, not its type info)."""
    probes: dict[str, type[msgspec.Struct]] = {}
    for info in msgspec.structs.fields(cls):
        probes[info.encode_name] = msgspec.defstruct(
            f"{cls.__name__}_{info.name}", [(info.encode_name, info.type)], kw_only=True
        )
    return probes


@cache
def _struct_info(cls: type[msgspec.Struct]) -> msgspec.inspect.StructType:
    """msgspec's type information of a Struct, once per class."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType), cls
    return info


def _nested_struct(tp: msgspec.inspect.Type) -> type[msgspec.Struct] | None:
    """The Struct class a field holds (through constraints and ``| None``), if one."""
    if isinstance(tp, msgspec.inspect.StructType):
        return tp.cls
    if isinstance(tp, msgspec.inspect.Metadata):
        return _nested_struct(tp.type)
    if isinstance(tp, msgspec.inspect.UnionType):
        structs = [cls for cls in map(_nested_struct, tp.types) if cls is not None]
        return structs[0] if len(structs) == 1 else None
    return None


def _check(cls: type[msgspec.Struct], name: str, value: Any, field: str) -> list[dict[str, str]]:
    if isinstance(value, datetime):
        try:
            value.astimezone(UTC)
        except OverflowError:
            return [{"field": field, "message": "out of range: no UTC time in years 1-9999"}]
    check = getattr(cls, "__checks__", {}).get(name)
    if check is None or value is None or value is msgspec.UNSET:
        return []
    try:
        check(value, field)
    except ValidationFailed as exc:
        return list(exc.extras["errors"])
    return []


# Times a booking or an availability window may use: any calendar fits, and day and clock
# arithmetic around them (local days, reminders before the start) stays inside datetime.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def check_calendar_time(value: datetime, field: str) -> None:
    if not EARLIEST <= value <= LATEST:
        raise ValidationFailed.field(field, "must be between 1900-01-01 and 9000-01-01 (UTC)")


def _check_errors(value: Any, prefix: str = "") -> list[dict[str, str]]:
    """Every ``__checks__`` problem of a decoded Struct, nested Structs included, and
    times that have no UTC equivalent (``9999-12-31T23:00:00-05:00``)."""
    errors: list[dict[str, str]] = []
    for info in _struct_info(value.__class__).fields:
        item = getattr(value, info.name)
        field = prefix + info.encode_name
        errors += _check(type(value), info.encode_name, item, field)
        if isinstance(item, msgspec.Struct):
            errors += _check_errors(item, field + ".")
    return errors


def _all_errors(
    obj: Any, cls: type[msgspec.Struct], *, strict: bool, prefix: str = ""
) -> list[dict[str, str]]:
    if not isinstance(obj, dict):
        return [{"field": prefix.rstrip(".") or "body", "message": "Expected an object"}]
    struct = _struct_info(cls)
    infos = {f.encode_name: f for f in struct.fields}
    errors: list[dict[str, str]] = []
    for key in obj:
        if key not in infos and struct.forbid_unknown_fields:
            errors.append({"field": prefix + str(key), "message": "Unknown field"})
    for name, info in infos.items():
        field = prefix + name
        if name not in obj:
            if info.required:
                errors.append({"field": field, "message": "Field is required"})
            continue
        try:
            probe = msgspec.convert({name: obj[name]}, _probes(cls)[name], strict=strict)
        except msgspec.ValidationError as exc:
            nested = _nested_struct(info.type)
            if nested is not None and isinstance(obj[name], dict):
                errors += _all_errors(obj[name], nested, strict=strict, prefix=field + ".")
            else:
                errors += [
                    {**error, "field": prefix + error["field"]}
                    for error in _keyed_errors(exc, cls, name, obj[name], strict=strict)
                ]
            continue
        value = getattr(probe, name)
        errors += _check(cls, name, value, field)
        if isinstance(value, msgspec.Struct):
            errors += _check_errors(value, field + ".")
    return errors


def _nul_errors(obj: Any, field: str) -> list[dict[str, str]]:
    """Strings holding U+0000, which PostgreSQL text cannot store."""
    if isinstance(obj, str):
        return [{"field": field, "message": "must not contain NUL (U+0000)"}] if "\0" in obj else []
    errors: list[dict[str, str]] = []
    if isinstance(obj, dict):
        for key, item in obj.items():
            name = f"{field}.{key}" if field else str(key)
            if isinstance(key, str) and "\0" in key:
                errors.append(
                    {"field": field or "body", "message": "must not contain NUL (U+0000)"}
                )
            errors += _nul_errors(item, name)
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            errors += _nul_errors(item, f"{field}.{index}" if field else str(index))
    return errors


def convert(obj: Any, cls: type[T], *, strict: bool = True, nul: bool = True) -> T:
    """Convert a decoded JSON value to ``cls``, listing every bad field on failure.

    ``nul=False`` skips the search for U+0000 (the caller knows there is none).
    """
    is_struct = isinstance(cls, type) and issubclass(cls, msgspec.Struct)
    nuls = _nul_errors(obj, "") if nul else []
    try:
        value = msgspec.convert(obj, cls, strict=strict)
    except msgspec.ValidationError as exc:
        if is_struct:
            errors = _all_errors(obj, cls, strict=strict)  # type: ignore[arg-type]
            if errors or nuls:
                raise ValidationFailed(_merge(errors, nuls)) from None
        raise ValidationFailed(_merge([_field_error(exc, "body")], nuls)) from None
    checks = _check_errors(value) if isinstance(value, msgspec.Struct) else []
    if checks or nuls:
        raise ValidationFailed(_merge(checks, nuls))
    return value


def _merge(errors: list[dict[str, str]], more: list[dict[str, str]]) -> list[dict[str, str]]:
    fields = {error["field"] for error in errors}
    return errors + [error for error in more if error["field"] not in fields]


def decode_json(raw: bytes, cls: type[T]) -> T:
    """Decode a JSON body: 400 ``malformed_json`` if it is not JSON, else ``convert``."""
    try:
        obj = _json.decode(raw) if raw.strip() else {}
    except (msgspec.DecodeError, UnicodeDecodeError):  # invalid UTF-8 inside a string
        raise MalformedJson("The request body is not valid JSON (UTF-8)") from None
    except RecursionError:
        raise MalformedJson("The request body nests too deeply") from None
    # JSON can only carry U+0000 escaped, so most bodies skip the search.
    return convert(obj, cls, nul=b"\\u0000" in raw)


encoder = msgspec.json.Encoder()
