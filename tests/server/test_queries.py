"""Every named query in sql/queries is used from code, and every use names a real query.

References are read from the syntax tree, not the text, so a ``QUERIES["name"]`` in a
docstring or comment counts for nothing, and a lookup the test cannot resolve (a
variable key, ``QUERIES.get``, iterating) fails it rather than slipping past.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

from server.sql import SQL_DIR, load_queries

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


def queries() -> Mapping[str, str]:
    """Read now rather than at import, so the test sees the files as they are."""
    return load_queries(SQL_DIR / "queries")


def test_every_query_has_a_statement() -> None:
    for name, body in queries().items():
        statement = [line for line in body.splitlines() if not line.startswith("--")]
        assert "".join(statement).strip(), name


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
