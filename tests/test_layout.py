"""The source tree's shape: packages are packages, and a name means one thing."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "realtime", "workers")
# Entry points: every package has its own ``main``.
SHARED_NAMES = {"main"}
# arq jobs are thin wrappers named after the function they run.
JOBS = ROOT / "workers" / "jobs.py"


def _sources() -> list[Path]:
    return [
        path
        for top in PACKAGES
        for path in sorted((ROOT / top).rglob("*.py"))
        if "node_modules" not in path.parts
    ]


def test_every_source_folder_is_a_package() -> None:
    folders = {path.parent for path in _sources()}
    assert [
        str(f.relative_to(ROOT)) for f in sorted(folders) if not (f / "__init__.py").exists()
    ] == []


def test_a_public_name_is_defined_in_one_feature() -> None:
    """Two functions never share a name for different jobs: routes, service and queries
    of one feature share names (``create_booking``), two features or a feature and a
    top-level module never do."""
    homes: dict[str, set[Path]] = defaultdict(set)
    for path in _sources():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = node.name
            else:
                continue
            if name.startswith("_") or name in SHARED_NAMES or path == JOBS:
                continue
            homes[name].add(path.parent if path.parent.name not in PACKAGES else path)
    shared = {
        name: sorted(str(p.relative_to(ROOT)) for p in places)
        for name, places in homes.items()
        if len(places) > 1
    }
    assert shared == {}, shared


def test_one_free_port_helper() -> None:
    """Tests, bench and dev services share ``server.devservices.free_port``."""
    spelled = [
        str(path.relative_to(ROOT))
        for top in (*PACKAGES, "tests", "bench")
        for path in sorted((ROOT / top).rglob("*.py"))
        if "node_modules" not in path.parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.strip("_") == "free_port"
    ]
    assert spelled == ["server/devservices.py"]


def test_the_collector_is_tuned_only_by_the_composition_root() -> None:
    """``gc.freeze()`` and friends act on the whole process: server/app.py decides."""
    callers = sorted(
        str(path.relative_to(ROOT))
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "gc"
        and node.attr in {"freeze", "disable", "set_threshold"}
    )
    assert set(callers) == {"server/app.py"}
