"""The shape of the code (docs/architecture.md): the import graph runs one way, only `app/` talks
to Streamlit, and pages stay thin. These tests read the source; they import nothing from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "georisk"

# Lowest first. A module may import from its own level or a lower one, never a higher one.
LEVELS = (
    ("base", ("georisk.names", "georisk.text", "georisk.problems", "georisk.notices", "georisk.limits")),
    ("services", ("georisk.services",)),
    ("store", ("georisk.store",)),
    ("scenario", ("georisk.scenario",)),
    ("model", ("georisk.model",)),
    ("feeds", ("georisk.feeds", "georisk.synthetic")),
    ("view", ("georisk.view", "georisk.link", "georisk.analysis")),
    ("alerts", ("georisk.alerts",)),
    ("charts", ("georisk.charts",)),
    ("outputs", ("georisk.outputs",)),
    ("api", ("georisk.api",)),
    ("app", ("georisk.app", "georisk.cli", "georisk.__main__", "georisk")),
)
PAGE_LINES = 60


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def level_of(module: str) -> int:
    best, level = -1, None
    for index, (_, prefixes) in enumerate(LEVELS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), index
    assert level is not None, f"{module} belongs to no level: add it to LEVELS and docs/architecture.md"
    return level


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (`from a import b` counts as
    a.b when a/b is a module, else as a)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            base = ROOT.joinpath(*node.module.split("."))
            for alias in node.names:
                if (base / f"{alias.name}.py").exists() or (base / alias.name / "__init__.py").exists():
                    found.add(f"{node.module}.{alias.name}")
    return found


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_back_up(module: str):
    mine = level_of(module)
    upward = [
        f"{target} ({LEVELS[level_of(target)][0]})"
        for target in sorted(imports_of(MODULES[module]))
        if target.startswith("georisk") and target != "georisk" and level_of(target) > mine
    ]
    assert not upward, f"{module} ({LEVELS[mine][0]}) imports from a higher level: {upward}"


def test_the_model_knows_nothing_of_feeds_and_the_link_nothing_of_charts():
    for module, path in MODULES.items():
        targets = imports_of(path)
        if module.startswith("georisk.model"):
            assert not [t for t in targets if t.startswith("georisk.feeds")], module
        if module in ("georisk.link", "georisk.view"):
            assert not [t for t in targets if t.startswith(("georisk.charts", "georisk.outputs"))], module


def test_the_import_graph_has_no_cycle():
    graph = {
        m: {t for t in imports_of(p) if t in MODULES and t != m and t != "georisk"}
        for m, p in MODULES.items()
    }
    # A package's __init__ may gather its own modules; that is not a cycle of concerns.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_only_the_app_package_imports_streamlit():
    offenders = [
        module
        for module, path in MODULES.items()
        if not module.startswith("georisk.app")
        and any(t == "streamlit" or t.startswith("streamlit.") for t in imports_of(path))
    ]
    assert not offenders, f"streamlit imported outside georisk/app: {offenders}"


@pytest.mark.parametrize(
    "page", [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py"))], ids=lambda p: p.name
)
def test_pages_are_thin(page: Path):
    lines = len(page.read_text(encoding="utf-8").splitlines())
    assert lines < PAGE_LINES, f"{page.name} has {lines} lines: move its logic into georisk/"
    tree = ast.parse(page.read_text(encoding="utf-8"))
    loops = [
        type(n).__name__
        for n in ast.walk(tree)
        if isinstance(n, (ast.For, ast.While, ast.ListComp, ast.DictComp))
    ]
    assert len(loops) <= 2, f"{page.name} computes ({loops}): a page draws what georisk/ computed"


def test_the_checker_sees_a_violation(tmp_path: Path):
    """The level check is not vacuous: a scenario module importing the app is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from georisk.app import cache\nimport streamlit as st\n")
    assert "georisk.app.cache" in imports_of(bad) and "streamlit" in imports_of(bad)
    assert level_of("georisk.app.cache") > level_of("georisk.scenario.dataset")
