"""The import graph of lstmsizer: nothing imports the root, no cycles, layers point one way.

Imports under `if TYPE_CHECKING:` count too: they never run, but a module that needs another's
types depends on it, and a cycle through them is a cycle of the design.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = "lstmsizer"
PACKAGE = Path(__file__).resolve().parents[1] / ROOT
HEAVY = ("torch", "optuna")
# the report renders plain results: it must not reach training, sweeps or the command line
REPORT_FORBIDDEN = tuple(
    f"{ROOT}.{name}"
    for name in (
        "sweep",
        "training",
        "models",
        "ensemble",
        "forecaster",
        "speed",
        "claims",
        "diagnostics",
        "cli",
    )
)


@dataclass(frozen=True)
class Edge:
    """One import statement: source imports target, at file:line, maybe for type checking only."""

    source: str
    target: str
    line: int
    typing: bool = False

    def __str__(self) -> str:
        path = MODULES[self.source].relative_to(PACKAGE.parent)
        where = f"{path}:{self.line}{', TYPE_CHECKING' if self.typing else ''}"
        return f"{self.source} -> {self.target} ({where})"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _nodes(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node, module level and inside functions, and whether only type checking runs it."""
    stack = [(tree, False)]
    while stack:
        node, typing = stack.pop()
        yield node, typing
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, typing) for child in [node.test, *node.orelse])
        else:
            stack.extend((child, typing) for child in ast.iter_child_nodes(node))


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _targets(module: str, node: ast.AST) -> Iterator[str]:
    """Modules a node imports: `from pkg import sub` imports the submodule pkg.sub, not pkg."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(module, node)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            yield sub if sub in MODULES else base
    elif (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        yield node.args[0].value


def _imports() -> list[Edge]:
    """Every import of every lstmsizer module, internal and external, with its line."""
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, typing in _nodes(tree):
            line = getattr(node, "lineno", 0)
            edges.extend(Edge(module, target, line, typing) for target in _targets(module, node))
    return sorted(set(edges), key=lambda e: (e.source, e.line, e.target))


EDGES = _imports()


def _internal(target: str) -> str | None:
    """The lstmsizer module an import names (its longest known prefix), else None."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def _graph() -> dict[str, list[Edge]]:
    """Internal imports by source; the root, a lazy facade over the rest, is left out."""
    graph: dict[str, list[Edge]] = {m: [] for m in MODULES if m != ROOT}
    for edge in EDGES:
        target = _internal(edge.target)
        if edge.source != ROOT and target is not None and target != ROOT:
            graph[edge.source].append(Edge(edge.source, target, edge.line, edge.typing))
    return graph


def _components(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each as a sorted list of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for edge in graph[node]:
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _listed(edges: list[Edge]) -> str:
    return "\n".join(str(e) for e in edges)


def _targets_of(graph: dict[str, list[Edge]], module: str) -> set[str]:
    return {e.target for e in graph[module]}


def _heavy_after_import(module: str) -> str:
    """Which of torch and optuna a fresh interpreter holds after importing module."""
    code = f"import sys, {module}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, f"import {module} failed:\n{out.stderr}"
    return out.stdout.strip()


def test_the_walker_finds_every_kind_of_import() -> None:
    source = (
        "import torch\n"
        "from lstmsizer import synthetic, __version__\n"
        "from . import html\n"
        "from .facts import number\n"
        "from .. import errors\n"
        "if TYPE_CHECKING:\n"
        "    from lstmsizer.sweeping import SweepSpec\n"
        "else:\n"
        "    import pandas\n"
        "def render():\n"
        "    import optuna\n"
        "    return importlib.import_module('lstmsizer.speed')\n"
    )
    module = "lstmsizer.report.build"
    found = {
        (target, typing)
        for node, typing in _nodes(ast.parse(source))
        for target in _targets(module, node)
    }
    assert found == {
        ("torch", False),
        ("lstmsizer.synthetic", False),  # a submodule, not the root
        ("lstmsizer", False),  # a name defined by the root
        ("lstmsizer.report.html", False),
        ("lstmsizer.report.facts", False),
        ("lstmsizer.errors", False),
        ("lstmsizer.sweeping", True),
        ("pandas", False),
        ("optuna", False),
        ("lstmsizer.speed", False),
    }


def test_the_graph_holds_imports_known_to_exist() -> None:
    assert {"lstmsizer.training", "lstmsizer.report.build", "lstmsizer.cli.app"} <= set(MODULES)
    graph = _graph()
    assert "lstmsizer.synthetic" in {e.target for e in graph["lstmsizer.datasets"]}
    assert "lstmsizer.errors" in {e.target for e in graph["lstmsizer.config"]}
    assert "torch" in {e.target for e in EDGES if e.source == "lstmsizer.training"}


def test_no_module_imports_the_package_root() -> None:
    # `from lstmsizer import synthetic` names a submodule and counts as importing it
    allowed = {f"{ROOT}.__main__"}
    bad = [e for e in EDGES if e.target == ROOT and e.source not in allowed | {ROOT}]
    assert not bad, f"modules importing the package root:\n{_listed(bad)}"


def test_there_are_no_import_cycles() -> None:
    graph = _graph()
    cycles = [c for c in _components(graph) if len(c) > 1 or c[0] in _targets_of(graph, c[0])]
    described = []
    for component in cycles:
        members = set(component)
        inner = [e for m in component for e in graph[m] if e.target in members]
        described.append(f"cycle {', '.join(component)}:\n{_listed(inner)}")
    assert not cycles, "\n\n".join(described)


def test_only_the_command_line_imports_the_command_line() -> None:
    cli = f"{ROOT}.cli"
    allowed = {f"{ROOT}.__main__"}  # `python -m lstmsizer` runs the command line
    bad = [
        e
        for edges in _graph().values()
        for e in edges
        if _within(e.target, cli) and not _within(e.source, cli) and e.source not in allowed
    ]
    assert not bad, f"imports of {cli} from outside it:\n{_listed(bad)}"


def test_the_report_imports_no_training_sweep_or_command_line() -> None:
    report = f"{ROOT}.report"
    bad = [
        e
        for e in EDGES
        if _within(e.source, report)
        and (
            any(_within(_internal(e.target) or "", f) for f in REPORT_FORBIDDEN)
            or e.target.split(".")[0] in HEAVY
        )
    ]
    assert not bad, f"{report} imports what it must not:\n{_listed(bad)}"


@pytest.mark.parametrize(
    ("module", "allowed"),
    [(f"{ROOT}.errors", set()), (f"{ROOT}.config", {f"{ROOT}.errors"})],
)
def test_the_bottom_layer_imports_nothing_above_it(module: str, allowed: set[str]) -> None:
    bad = [e for e in _graph()[module] if e.target not in allowed]
    assert not bad, f"{module} imports more of lstmsizer than {sorted(allowed)}:\n{_listed(bad)}"


@pytest.mark.parametrize(
    "module", [ROOT, f"{ROOT}.cli", f"{ROOT}.report", f"{ROOT}.config", f"{ROOT}.errors"]
)
def test_importing_loads_neither_torch_nor_optuna(module: str) -> None:
    assert _heavy_after_import(module) == "[]", f"import {module} loads torch or optuna"


def test_the_subprocess_check_sees_torch_when_it_is_loaded() -> None:
    assert "torch" in _heavy_after_import(f"{ROOT}.models")
