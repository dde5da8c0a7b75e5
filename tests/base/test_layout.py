"""The layout's rules, checked on the source: imports run one way (the CLI and operations at the top, the stages in
the order data flows, the base at the bottom), no import circle anywhere in ``aggregator/`` or ``crawler/``, a small
base, no module over 400 lines, and ``aggregator/`` never imports Scrapy.

Every import counts: at module level, inside a function, or under ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregator", "crawler", "spiders")

#: The layers of ``aggregator``, bottom first: a module may import its own layer and those below it.
LAYERS = ("base", "raw", "compile", "normalize", "compare", "publish", "operate", "cli")
#: Packages outside the stages, at the bottom with the base: they import nothing above it.
BOTTOM_PACKAGES = ("sandbox",)
MAX_LINES = 400
MAX_BASE_MODULES = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


MODULES = {module_name(path): path for path in source_files(*PACKAGES)}


def imported(path: Path) -> Iterator[tuple[str, int]]:
    """The modules of this project that a file imports (``from package import module`` names the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in MODULES else base), node.lineno


def project_imports(name: str) -> set[str]:
    return {target for target, _ in imported(MODULES[name]) if target in MODULES and target != name}


def layer(name: str) -> int:
    """The layer of an ``aggregator`` module: its stage folder's, or the base's."""
    parts = name.split(".")
    if len(parts) == 1 or parts[1] in BOTTOM_PACKAGES or f"aggregator.{parts[1]}" in _BASE:
        return 0
    return LAYERS.index(parts[1])


_BASE = {name for name, path in MODULES.items() if path.parent == ROOT / "aggregator"}


def test_every_stage_folder_exists_and_says_its_job():
    for stage in LAYERS[1:]:
        init = ROOT / "aggregator" / stage / "__init__.py"
        assert init.exists(), f"aggregator/{stage}/ is missing"
        assert ast.get_docstring(ast.parse(init.read_text())), f"aggregator/{stage}/__init__.py says nothing of its job"


def test_no_aggregator_module_imports_one_above_it():
    upward = []
    for name, path in MODULES.items():
        if not name.startswith("aggregator"):
            continue
        for target, line in imported(path):
            if target.startswith("aggregator") and target in MODULES and layer(target) > layer(name):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target} ({LAYERS[layer(target)]})")
    assert not upward, "imports that go up:\n" + "\n".join(upward)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finds_a_circle_and_only_it():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_circle_in_aggregator_or_crawler():
    names = [name for name in MODULES if name.startswith(("aggregator", "crawler"))]
    graph = {name: {t for t in project_imports(name) if t.startswith(("aggregator", "crawler"))} for name in names}
    # A package's __init__ that re-exports its modules is not a circle with them.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert not cycles(graph)


def test_the_base_is_small():
    assert len(_BASE) <= MAX_BASE_MODULES, sorted(_BASE)


@pytest.mark.parametrize("path", source_files(*PACKAGES), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_400_lines(path: Path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_aggregator_never_imports_scrapy_or_the_crawler():
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("aggregator")
        for target, line in imported(path)
        if target.split(".")[0] in ("scrapy", "twisted", "crawler", "spiders")
    ]
    assert not found


def test_spiders_import_the_crawler_not_the_aggregator():
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("spiders")
        for target, line in imported(path)
        if target.split(".")[0] == "aggregator"
    ]
    assert not found
