"""Named SQL blocks from ``sql/queries/*.sql``, loaded once at import.

A block starts with a ``-- name --`` header line, then one comment line saying what
it does, then the statement. Queries are looked up by name with ``QUERIES["name"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import sql as sql_package


def _package_dir() -> Path:
    """The installed ``sql`` package's folder: a checkout's ``sql/`` or the wheel's copy."""
    root = resources.files(sql_package)
    if not isinstance(root, Path):
        raise RuntimeError("the sql package must be installed as files, not inside an archive")
    return root


SQL_DIR = _package_dir()
_HEADER = re.compile(r"^-- ([a-z_][a-z0-9_]*) --$", re.MULTILINE)


def load_queries(folder: Path) -> Mapping[str, str]:
    """Parse every ``*.sql`` file in ``folder`` into {name: statement}."""
    queries: dict[str, str] = {}
    if not any(folder.glob("*.sql")):
        raise ValueError(f"no query files in {folder}: is the sql package installed?")
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text()
        headers = list(_HEADER.finditer(text))
        for index, match in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            body = text[match.end() : end].strip()
            name = match.group(1)
            if name in queries:
                raise ValueError(f"{path.name}: query {name!r} is defined twice")
            if not body.startswith("--"):
                raise ValueError(f"{path.name}: query {name!r} needs a comment line")
            queries[name] = body
    return MappingProxyType(queries)


QUERIES = load_queries(SQL_DIR / "queries")
