"""The query loader: ``:name`` parameters become ``$n`` once, at load, and a call passes
exactly the parameters its query names."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.sql import QueryArgsError, load_queries, parse_query


def test_names_are_numbered_in_order_of_first_use() -> None:
    query = parse_query("q", "-- c\nSELECT :b, :a, :c")
    assert query.sql == "-- c\nSELECT $1, $2, $3"
    assert query.params == ("b", "a", "c")


def test_a_name_used_again_keeps_its_number() -> None:
    query = parse_query(
        "q", "-- c\nSELECT * FROM t WHERE a = :x AND (:y IS NULL OR b = :y) OR c = :x"
    )
    assert query.sql == "-- c\nSELECT * FROM t WHERE a = $1 AND ($2 IS NULL OR b = $2) OR c = $1"
    assert query.params == ("x", "y")


def test_casts_and_assignments_are_not_parameters() -> None:
    query = parse_query("q", "-- c\nSELECT :id::uuid::text, '{}'::jsonb, f(a := :v), x::int[]")
    assert query.sql == "-- c\nSELECT $1::uuid::text, '{}'::jsonb, f(a := $2), x::int[]"
    assert query.params == ("id", "v")
    spaced = parse_query("q", "-- c\nSELECT a[1 : 2], :x")
    assert (spaced.sql, spaced.params) == ("-- c\nSELECT a[1 : 2], $1", ("x",))


@pytest.mark.parametrize(
    "text",
    [
        "'a :b c'",
        "'it''s :b'",
        "E'it\\'s :b'",
        '":b"',
        "$$ :b $$",
        "$fn$ :b $ $fn$",
        "/* :b */",
        "-- :b\n",
    ],
)
def test_strings_identifiers_and_comments_are_not_scanned(text: str) -> None:
    query = parse_query("q", f"-- see :a\nSELECT {text} :a")
    assert query.sql == f"-- see :a\nSELECT {text} $1"
    assert query.params == ("a",)


def test_a_hand_numbered_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"write parameters as :name, not \$1"):
        parse_query("q", "-- c\nSELECT $1")


def test_positions_in_strings_and_identifiers_are_left_alone() -> None:
    query = parse_query("q", "-- c\nSELECT '$1', col$1, :a")
    assert (query.sql, query.params) == ("-- c\nSELECT '$1', col$1, $1", ("a",))


def test_an_unclosed_string_is_refused_rather_than_scanned() -> None:
    with pytest.raises(ValueError, match="never closed"):
        parse_query("q", "-- c\nSELECT 'a :b")


def test_a_python_keyword_is_refused_as_a_name() -> None:
    with pytest.raises(ValueError, match=":from cannot be passed"):
        parse_query("q", "-- c\nSELECT :from")


def test_args_orders_values_by_position() -> None:
    query = parse_query("q", "-- c\nSELECT :b, :a, :b")
    assert query.args(a=1, b=2) == (2, 1)
    assert parse_query("none", "-- c\nSELECT 1").args() == ()


def test_a_missing_parameter_is_named() -> None:
    query = parse_query("get_user", "-- c\nSELECT :tenant_id, :user_id")
    with pytest.raises(QueryArgsError) as caught:
        query.args(tenant_id=1)
    assert str(caught.value) == "query 'get_user' takes (tenant_id, user_id): missing user_id"


def test_an_unknown_parameter_is_named() -> None:
    query = parse_query("get_user", "-- c\nSELECT :tenant_id, :user_id")
    with pytest.raises(QueryArgsError) as caught:
        query.args(tenant_id=1, user_id=2, usr_id=3)
    assert str(caught.value) == "query 'get_user' takes (tenant_id, user_id): unknown usr_id"
    with pytest.raises(TypeError, match="missing user_id; unknown usr_id"):
        query.args(tenant_id=1, usr_id=3)


def test_the_loader_names_the_file_of_a_bad_query(tmp_path: Path) -> None:
    (tmp_path / "things.sql").write_text("-- get_thing --\n-- One thing.\nSELECT $1;\n")
    with pytest.raises(ValueError, match=r"things.sql: query 'get_thing': write parameters"):
        load_queries(tmp_path)


def test_the_loader_reads_blocks_into_queries(tmp_path: Path) -> None:
    (tmp_path / "things.sql").write_text(
        "-- get_thing --\n-- One thing by :id.\nSELECT * FROM things WHERE id = :id;\n\n"
        "-- count_things --\n-- How many.\nSELECT count(*) FROM things;\n"
    )
    queries = load_queries(tmp_path)
    assert queries["get_thing"].sql == ("-- One thing by :id.\nSELECT * FROM things WHERE id = $1;")
    assert queries["get_thing"].params == ("id",)
    assert queries["count_things"].params == ()
