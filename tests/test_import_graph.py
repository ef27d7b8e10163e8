"""Import graph of kiosk/ and hardware/: no import circles, and hardware/ never imports kiosk/."""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kiosk", "hardware")

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    """`kiosk/ui/loop.py` -> `kiosk.ui.loop`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    return {module_name(path, root): path
            for package in packages for path in sorted((root / package).rglob("*.py"))}


def imported_modules(tree: ast.Module, module: str, is_package: bool,
                     modules: Collection[str]) -> set[str]:
    """The project modules that import statements anywhere in `tree` load (in functions and
    `if TYPE_CHECKING:` blocks too; relative imports resolved). `from pkg import name` loads
    the submodule `pkg.name` when there is one, else the package `pkg` itself."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            stem = _absolute(node, module, is_package)
            for alias in node.names:
                if f"{stem}.{alias.name}" in modules:
                    found.add(f"{stem}.{alias.name}")
                elif stem in modules:
                    found.add(stem)
    found.discard(module)
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a `from ... import` names; `from . import x` in a package's __init__ is
    the package itself, in a plain module its parent package."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    drop = node.level - 1 if is_package else node.level
    base = base[:len(base) - drop]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> Graph:
    """Module -> the project modules it imports."""
    modules = project_modules(root, packages)
    return {module: imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path)),
                                     module, path.name == "__init__.py", modules)
            for module, path in modules.items()}


def hardware_importing_kiosk(graph: Graph) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in graph.items()
                  if m.split(".")[0] == "hardware"
                  for t in targets if t.split(".")[0] == "kiosk")


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative depth-first search: the graph may be deeper than Python's recursion limit.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_path(graph: Graph, component: list[str]) -> list[str]:
    """One circle through the component's first module, for a readable failure message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"no circle through {start}")


def test_the_project_has_no_import_cycles() -> None:
    graph = import_graph(ROOT)
    assert "kiosk.cli" in graph and "hardware.printer.escpos" in graph   # the walk found them
    circles = [" -> ".join(cycle_path(graph, c)) for c in cycles(graph)]
    assert circles == [], "modules importing each other:\n" + "\n".join(circles)


def test_hardware_never_imports_kiosk() -> None:
    wrong = hardware_importing_kiosk(import_graph(ROOT))
    assert wrong == [], "hardware/ must know nothing of kiosk/:\n" + "\n".join(wrong)


def test_commands_never_import_the_cli_that_loads_them() -> None:
    """kiosk.cli loads each command by name (importlib, which the graph cannot see); a command
    importing kiosk.cli back would close a circle, so they share kiosk.commands.common."""
    graph = import_graph(ROOT)
    back = sorted(m for m in graph if m.startswith("kiosk.commands.") and "kiosk.cli" in graph[m])
    assert back == [], "commands importing kiosk.cli:\n" + "\n".join(back)
    from kiosk.cli import COMMANDS
    assert set(COMMANDS.values()) <= set(graph)   # the names it loads are real modules


# --- the checker itself: it must see the circles it exists to catch ----------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_function_level_import_closes_a_circle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "kiosk/__init__.py": "",
        "kiosk/a.py": "from kiosk.b import thing\n",
        "kiosk/b.py": "def thing():\n    from kiosk import a\n    return a\n",
    })
    graph = import_graph(root)
    assert graph["kiosk.a"] == {"kiosk.b"} and graph["kiosk.b"] == {"kiosk.a"}
    assert cycles(graph) == [["kiosk.a", "kiosk.b"]]
    assert cycle_path(graph, ["kiosk.a", "kiosk.b"]) == ["kiosk.a", "kiosk.b", "kiosk.a"]


def test_relative_and_type_checking_imports_count(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "hardware/__init__.py": "",
        "hardware/p/__init__.py": "from .x import X\n",
        "hardware/p/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                           "    from ..q import Y\nX = 1\n",
        "hardware/q.py": "import hardware.p\nY = 2\n",
    })
    graph = import_graph(root)
    assert graph["hardware.p"] == {"hardware.p.x"}
    assert graph["hardware.p.x"] == {"hardware.q"}
    assert graph["hardware.q"] == {"hardware.p"}
    assert cycles(graph) == [["hardware.p", "hardware.p.x", "hardware.q"]]


def test_a_longer_circle_is_found_and_a_chain_is_not(tmp_path: Path) -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": set(), "e": {"c", "a"}}
    assert cycles(graph) == []
    graph["d"] = {"b"}
    assert cycles(graph) == [["b", "c", "d"]]
    assert cycle_path(graph, ["b", "c", "d"]) == ["b", "c", "d", "b"]


def test_hardware_importing_kiosk_is_caught(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "kiosk/__init__.py": "",
        "kiosk/money.py": "",
        "hardware/__init__.py": "",
        "hardware/sim.py": "def f():\n    from kiosk.money import format_amount\n",
    })
    assert hardware_importing_kiosk(import_graph(root)) == ["hardware.sim -> kiosk.money"]


@pytest.mark.parametrize("module", ["kiosk.commands.simulate", "hardware.printer.escpos"])
def test_the_untangled_pairs_point_one_way(module: str) -> None:
    graph = import_graph(ROOT)
    back = {"kiosk.commands.simulate": "kiosk.simdemo",
            "hardware.printer.escpos": "hardware.printer.layout"}[module]
    assert back in graph[module]          # the command runs the demo; the encoder lays out
    assert module not in graph[back]      # and neither looks back
