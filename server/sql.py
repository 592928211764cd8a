"""Named SQL blocks from ``sql/queries/*.sql``, loaded once at import.

A block starts with a ``-- name --`` header line, then one comment line saying what
it does, then the statement. Parameters are written ``:name``; the loader numbers them
once, here, into PostgreSQL's ``$n`` (the first name met is ``$1``, a name used again
keeps its number), so what asyncpg sends and prepares is the text a hand-numbered query
would be, and nothing is rewritten per call. Only SQL is scanned: text in quotes
('...', E'...', "..."), dollar quotes and comments is left alone, as are casts
(``::type``) and ``:=``; an array slice needs spaces (``a[1 : n]``), or ``:n`` would be a
parameter. A hand-written ``$n`` is refused: one way to write a parameter.

Callers look a query up by name and pass its parameters by name::

    row = await tx.fetchrow(QUERIES["get_user"], tenant_id=tx.tenant_id, user_id=user_id)
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sql as sql_package


def _package_dir() -> Path:
    """The installed ``sql`` package's folder: a checkout's ``sql/`` or the wheel's copy."""
    root = resources.files(sql_package)
    if not isinstance(root, Path):
        raise RuntimeError("the sql package must be installed as files, not inside an archive")
    return root


SQL_DIR = _package_dir()
_HEADER = re.compile(r"^-- ([a-z_][a-z0-9_]*) --$", re.MULTILINE)
# One token of what the loader must tell apart; everything between tokens is plain SQL.
# Order matters: a quoted or commented span is consumed whole before its inside is seen,
# and ``::`` before ``:name``.
_TOKEN = re.compile(
    r"""
      (?P<text>
          (?<!\w)[Ee]'(?:[^'\\]|\\.|'')*'                  # E'...' (backslash escapes)
        | '(?:[^']|'')*'                                   # '...'
        | "(?:[^"]|"")*"                                   # "quoted identifier"
        | --[^\n]*                                         # line comment
        | /\*.*?\*/                                        # block comment
        | (?<![\w$])\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$  # $tag$...$tag$
        | ::                                               # a cast
      )
    | (?P<open>['"]|/\*|(?<![\w$])\$(?:[A-Za-z_]\w*)?\$)   # opened, never closed
    | :(?P<name>[A-Za-z_]\w*)                              # a parameter
    | (?<![\w$])\$(?P<position>\d+)                        # $n written by hand
    """,
    re.VERBOSE | re.DOTALL,
)


class QueryArgsError(TypeError):
    """A call passed a parameter the query lacks, or left one out."""


@dataclass(frozen=True, slots=True)
class Query:
    """One named statement: its text with ``$n`` and the parameter name of each ``$n``."""

    name: str
    sql: str
    params: tuple[str, ...]

    def args(self, **values: Any) -> tuple[Any, ...]:
        """The positional arguments of ``sql``: every parameter, exactly, by name."""
        try:
            ordered = tuple([values[param] for param in self.params])
        except KeyError:
            ordered = ()
        if len(ordered) != len(self.params) or len(values) != len(self.params):
            raise self._mismatch(values)
        return ordered

    def _mismatch(self, values: Mapping[str, Any]) -> QueryArgsError:
        missing = [param for param in self.params if param not in values]
        unknown = sorted(set(values) - set(self.params))
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        return QueryArgsError(
            f"query {self.name!r} takes ({', '.join(self.params)}): {'; '.join(problems)}"
        )


def parse_query(name: str, text: str) -> Query:
    """``text`` with each ``:name`` replaced by its ``$n``, and the names in ``$n`` order."""
    params: dict[str, int] = {}
    out: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        if match["text"] is not None:
            continue
        if match["open"] is not None:
            raise ValueError(f"query {name!r}: {match['open']!r} is never closed")
        if match["position"] is not None:
            raise ValueError(f"query {name!r}: write parameters as :name, not ${match['position']}")
        param = match["name"]
        if keyword.iskeyword(param):
            raise ValueError(f"query {name!r}: :{param} cannot be passed as a keyword argument")
        number = params.setdefault(param, len(params) + 1)
        out += [text[end : match.start()], f"${number}"]
        end = match.end()
    out.append(text[end:])
    return Query(name, "".join(out), tuple(params))


def load_queries(folder: Path) -> Mapping[str, Query]:
    """Parse every ``*.sql`` file in ``folder`` into {name: query}."""
    queries: dict[str, Query] = {}
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
            try:
                queries[name] = parse_query(name, body)
            except ValueError as exc:
                raise ValueError(f"{path.name}: {exc}") from None
    return MappingProxyType(queries)


QUERIES = load_queries(SQL_DIR / "queries")
