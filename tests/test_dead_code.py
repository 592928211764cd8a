"""No dead code: every module-level name and every instance attribute is read somewhere.

A name counts as used when some module (tests and bench included) reads it: in its own
module, imported from it, as ``module.name``, or spelled as a string (arq jobs and
handlers are found by name). An attribute counts when some code reads ``.attr``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("server", "realtime", "workers")
READERS = (*CHECKED, "bench", "tests")

# Attributes a library reads, or that only hold a reference.
ALLOWED = {
    "FastSocket._closer": "holds the closing task so it is not garbage-collected",
    "FastSocket.upgraded": "engineio's Socket reads it",
    "FastSocket.upgrading": "engineio's Socket reads it",
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _trees() -> dict[str, tuple[Path, ast.Module]]:
    trees = {}
    for top in READERS:
        for path in (ROOT / top).rglob("*.py"):
            if "node_modules" not in path.parts:
                trees[_module(path)] = (path, ast.parse(path.read_text()))
    return trees


def _reads(trees: dict[str, tuple[Path, ast.Module]]) -> tuple[set[tuple[str, str]], set[str]]:
    """(module, name) pairs read, and every string and attribute name read anywhere."""
    names: set[tuple[str, str]] = set()
    words: set[str] = set()
    for module, (_, tree) in trees.items():
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    names.add((node.module, alias.name))
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                names.add((module, node.id))
            elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
                words.add(node.attr)
                if isinstance(node.value, ast.Name) and node.value.id in aliases:
                    names.add((aliases[node.value.id], node.attr))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.add(node.value)
    return names, words


def _top_level(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not node.decorator_list:  # decorated ones are registered, not called
                found.append((node.lineno, node.name))
        elif isinstance(node, ast.Assign):
            found += [(node.lineno, t.id) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.append((node.lineno, node.target.id))
    return [(line, name) for line, name in found if not name.startswith("__")]


def _attributes(tree: ast.Module) -> list[tuple[int, str, str]]:
    """Dataclass fields and ``self.x = ...`` assignments: (line, class, attribute)."""
    found = []
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        dataclass = any("dataclass" in ast.unparse(d) for d in cls.decorator_list)
        for node in cls.body:
            if dataclass and isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found.append((node.lineno, cls.name, node.target.id))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for target in ast.walk(node):
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.ctx, ast.Store)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        found.append((target.lineno, cls.name, target.attr))
    return found


def test_every_name_and_attribute_is_read() -> None:
    trees = _trees()
    names, words = _reads(trees)
    unused = set()
    for module, (path, tree) in trees.items():
        if not module.startswith(CHECKED):
            continue
        where = path.relative_to(ROOT)
        for line, name in _top_level(tree):
            if (module, name) not in names and name not in words:
                unused.add(f"{where}:{line}: {name}")
        for line, cls, attr in _attributes(tree):
            if attr not in words and f"{cls}.{attr}" not in ALLOWED:
                unused.add(f"{where}:{line}: {cls}.{attr}")
    assert not unused, "written but never read:\n" + "\n".join(sorted(unused))
