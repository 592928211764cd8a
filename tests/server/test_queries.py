"""Every named query in sql/queries is used from code, every use names a real query, and
every call passes the parameters its query names.

References are read from the syntax tree, not the text, so a ``QUERIES["name"]`` in a
docstring or comment counts for nothing, and a lookup the test cannot resolve (a
variable key, ``QUERIES.get``, iterating) fails it rather than slipping past.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from server.solver.constraints import RULES, Blocked, Budget
from server.sql import SQL_DIR, Query, load_queries

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "realtime", "workers")


def sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_queries(node: ast.expr) -> bool:
    """``QUERIES`` or ``<module>.QUERIES``."""
    if isinstance(node, ast.Name):
        return node.id == "QUERIES"
    return isinstance(node, ast.Attribute) and node.attr == "QUERIES"


def references() -> tuple[dict[str, list[str]], list[str]]:
    """{query name: [file:line, ...]} and the uses that are not a literal lookup."""
    used: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        relative = path.relative_to(ROOT)
        literal: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and _is_queries(node.value):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    used.setdefault(key.value, []).append(f"{relative}:{node.lineno}")
                    literal.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                renamed = [a for a in node.names if a.name.endswith("QUERIES") and a.asname]
                unresolved += [f"{relative}:{node.lineno}: imported as {a.asname}" for a in renamed]
            if not (isinstance(node, ast.Name | ast.Attribute) and _is_queries(node)):
                continue
            if id(node) in literal or isinstance(node.ctx, ast.Store):
                continue  # a literal lookup, or the loader's own assignment
            unresolved.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    return used, unresolved


def queries() -> Mapping[str, Query]:
    """Read now rather than at import, so the test sees the files as they are."""
    return load_queries(SQL_DIR / "queries")


def test_every_query_has_a_statement() -> None:
    for name, query in queries().items():
        statement = [line for line in query.sql.splitlines() if not line.startswith("--")]
        assert "".join(statement).strip(), name


def test_comments_name_parameters_as_the_sql_does() -> None:
    """The loader refuses ``$n`` in SQL; a comment saying ``$2`` would name nothing."""
    for path in sorted((SQL_DIR / "queries").glob("*.sql")):
        assert re.findall(r"\$\d+", path.read_text()) == [], path.name


# The Tx statement methods that take a named query and its parameters by name.
STATEMENT_METHODS = frozenset({"fetch", "fetchrow", "one", "fetchval", "execute", "sole"})


def keyword_calls() -> list[tuple[str, str, set[str]]]:
    """(file:line, query name, keywords) of each ``<tx>.<method>(QUERIES["name"], ...)``."""
    calls: list[tuple[str, str, set[str]]] = []
    for path in sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in STATEMENT_METHODS
                and node.args
                and isinstance(node.args[0], ast.Subscript)
                and _is_queries(node.args[0].value)
                and isinstance(node.args[0].slice, ast.Constant)
            ):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            names = {k.arg or "**" for k in node.keywords}
            calls.append((where, str(node.args[0].slice.value), names))
    return calls


def test_every_call_passes_the_parameters_its_query_names() -> None:
    """What ``Query.args`` would raise at run time, found without running the call."""
    known = queries()
    calls = keyword_calls()
    assert len(calls) > 100
    wrong = [
        (where, name, sorted(names ^ set(known[name].params)))
        for where, name, names in calls
        if names != set(known[name].params)
    ]
    assert wrong == []


def test_every_rule_query_takes_what_the_solver_passes() -> None:
    for rule in RULES:
        assert set(rule.check.params) == {"tenant_id", "start", "end"}, rule.name
        if isinstance(rule.model, Blocked):
            wanted = {"tenant_id", "resource_ids", "start", "end"}
            assert set(rule.model.load.params) == wanted, rule.name
        if isinstance(rule.model, Budget):
            assert set(rule.model.load.params) == {"tenant_id", "project_ids"}, rule.name


def test_every_lookup_is_a_literal_name() -> None:
    _, unresolved = references()
    assert unresolved == []


def test_every_referenced_query_exists() -> None:
    used, _ = references()
    known = queries()
    missing = {name: where for name, where in used.items() if name not in known}
    assert missing == {}


def test_every_named_query_is_used() -> None:
    used, _ = references()
    assert sorted(set(queries()) - set(used)) == []
