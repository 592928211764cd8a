"""Decoding reports every bad field, each named by its path (CONTRACT.md: problem
details with ``errors`` like ``working_hours.mon.0.1``); the lists here are the exact ones
a 422 carries."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
import pytest

from server.errors import MalformedJson, ValidationFailed
from server.schemas import AwareDatetime, Check, Schema, convert, decode_json

Day = Annotated[str, msgspec.Meta(pattern="^(mon|tue)$")]
Clock = Annotated[str, msgspec.Meta(pattern=r"^\d\d:\d\d$")]


def _not_x(value: str, field: str) -> None:
    if value == "x":
        raise ValidationFailed.field(field, "must not be x")


class Inner(Schema):
    email: Annotated[str, msgspec.Meta(min_length=3)]
    age: int = 0


class Outer(Schema):
    __checks__: ClassVar[dict[str, Check]] = {"name": _not_x}

    name: str
    count: Annotated[int, msgspec.Meta(ge=1)] = 1
    admin: Inner | None = None
    owner: Annotated[Inner, msgspec.Meta(description="described")] | None = None
    either: Inner | int | None = None
    hours: dict[Day, list[tuple[Clock, Clock]]] = msgspec.field(default_factory=dict)
    at: AwareDatetime | None = None


def errors(obj: Any, *, strict: bool = True) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        convert(obj, Outer, strict=strict)
    return list(caught.value.extras["errors"])


CASES: list[tuple[Any, list[dict[str, str]]]] = [
    ([], [{"field": "body", "message": "Expected an object"}]),
    ({}, [{"field": "name", "message": "Field is required"}]),
    (
        {"name": "ok", "zzz": 1, "yyy": 2},
        [
            {"field": "zzz", "message": "Unknown field"},
            {"field": "yyy", "message": "Unknown field"},
        ],
    ),
    (
        {"name": 1, "count": 0},
        [
            {"field": "name", "message": "Expected `str`, got `int`"},
            {"field": "count", "message": "Expected `int` >= 1"},
        ],
    ),
    (
        {"name": "ok", "admin": {"email": "a", "zzz": 1}},
        [
            {"field": "admin.zzz", "message": "Unknown field"},
            {"field": "admin.email", "message": "Expected `str` of length >= 3"},
        ],
    ),
    (
        {"name": "ok", "admin": "nobody"},
        [{"field": "admin", "message": "Expected `object | null`, got `str`"}],
    ),
    ({"name": "ok", "owner": {}}, [{"field": "owner.email", "message": "Field is required"}]),
    (
        {"name": "ok", "either": {"email": 1, "age": "x"}},
        [
            {"field": "either.email", "message": "Expected `str`, got `int`"},
            {"field": "either.age", "message": "Expected `int`, got `str`"},
        ],
    ),
    (
        {"name": "ok", "either": "x"},
        [{"field": "either", "message": "Expected `int | object | null`, got `str`"}],
    ),
    (
        {"name": "ok", "hours": {"mon": [["9", "17:00"]], "xyz": [], "tue": [["09:00"]]}},
        [
            {
                "field": "hours.mon.0.0",
                "message": "Expected `str` matching regex '^\\\\d\\\\d:\\\\d\\\\d$'",
            },
            {"field": "hours.xyz", "message": "Expected `str` matching regex '^(mon|tue)$'"},
            {"field": "hours.tue.0", "message": "Expected `array` of length 2, got 1"},
        ],
    ),
    (
        {"name": "ok", "hours": {"mon": [["09:00", "17:00"], [1, "18:00"]]}},
        [{"field": "hours.mon.1.0", "message": "Expected `str`, got `int`"}],
    ),
    (
        {"name": "ok", "hours": []},
        [{"field": "hours", "message": "Expected `object`, got `array`"}],
    ),
    ({"name": "x"}, [{"field": "name", "message": "must not be x"}]),
    (
        {"name": "ok", "at": "9999-12-31T23:00:00-05:00"},
        [{"field": "at", "message": "out of range: no UTC time in years 1-9999"}],
    ),
    (
        {"name": "ok", "at": "2030-01-01T00:00:00"},
        [{"field": "at", "message": "Expected `datetime` with a timezone component"}],
    ),
    (
        {"name": "a\0b", "count": 0},
        [
            {"field": "count", "message": "Expected `int` >= 1"},
            {"field": "name", "message": "must not contain NUL (U+0000)"},
        ],
    ),
    (
        {"name": "x", "admin": {"email": "a\0"}},
        [
            {"field": "name", "message": "must not be x"},
            {"field": "admin.email", "message": "Expected `str` of length >= 3"},
        ],
    ),
]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_every_bad_field_is_listed_by_path(body: Any, expected: list[dict[str, str]]) -> None:
    assert errors(body) == expected


def test_loose_conversion_reports_the_same_way() -> None:
    assert convert({"name": "ok", "count": "2"}, Outer, strict=False).count == 2
    assert errors({"name": "ok", "count": "0"}, strict=False) == [
        {"field": "count", "message": "Expected `int` >= 1"}
    ]


def test_a_good_body_converts() -> None:
    body = {"name": "ok", "admin": {"email": "a@b"}, "hours": {"mon": [["09:00", "17:00"]]}}
    value = convert(body, Outer)
    assert value.admin == Inner(email="a@b")
    assert value.hours == {"mon": [("09:00", "17:00")]}


def test_json_that_does_not_parse_is_malformed() -> None:
    with pytest.raises(MalformedJson):
        decode_json(b"{", Outer)
    with pytest.raises(ValidationFailed) as caught:
        decode_json(b'{"name": "a\\u0000"}', Outer)
    assert caught.value.extras["errors"] == [
        {"field": "name", "message": "must not contain NUL (U+0000)"}
    ]
