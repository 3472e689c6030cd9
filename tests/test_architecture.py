"""The import graph of suite/ against the allowed-imports table of docs/architecture.md.

The table lives only in the doc; this test parses it. Every `import` and `from ... import` of a
suite/ module counts, at the top of a file or inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOC = REPO / "docs" / "architecture.md"
ANY = "*"

Edges = dict[tuple[str, str], str]  # (importer, imported) -> "path:line" of the first such import


def allowed_table(doc: Path) -> dict[str, set[str]]:
    """package -> the packages it may import, from the `## Allowed imports` table."""
    section = doc.read_text().split("## Allowed imports", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            table[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[1]))
    if not table:
        raise AssertionError(f"{doc} has no allowed-imports table")
    return table


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under package_dir (a package is named by its __init__.py)."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _known(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
        base = ".".join(anchor + ([base] if base else []))
    # `from pkg import name` imports the module pkg.name when there is one, else pkg itself
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else _known(base, modules)
            for alias in node.names]


def import_edges(package_dir: Path) -> Edges:
    """Every import of one module of package_dir by another, with where it is written."""
    modules = module_names(package_dir)
    edges: Edges = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for target in _imported(node, module, is_package, modules):
                if target is not None and target != module:
                    edges.setdefault((module, target), f"{path.relative_to(package_dir.parent)}:{node.lineno}")
    return edges


def package_of(module: str) -> str:
    """suite.metrics.domain -> metrics; suite.config -> config; suite -> suite."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def forbidden_edges(edges: Edges, table: dict[str, set[str]]) -> list[str]:
    problems = []
    for (source, target), where in sorted(edges.items()):
        a, b = package_of(source), package_of(target)
        if a != b and a in table and ANY not in table[a] and b not in table[a]:
            problems.append(f"{where}: {source} imports {target}, but `{a}` may import only "
                            f"{', '.join(sorted(table[a])) or 'nothing'}")
    return problems


def cycles(edges) -> list[list[str]]:
    """One cycle through each strongly connected component with more than one node (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for source, target in edges:
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(set(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: set[str], graph: dict[str, list[str]]) -> list[str]:
    """A shortest path from the component's first node back to itself (breadth first)."""
    start = min(component)
    parents = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node]):
            if nxt == start:
                path = [node]
                while parents[path[-1]] is not None:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if nxt in component and nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start} in {sorted(component)}")


TABLE = allowed_table(DOC)
EDGES = import_edges(REPO / "suite")


def test_every_package_of_suite_is_in_the_table():
    packages = {package_of(module) for module in module_names(REPO / "suite")}
    missing = sorted(packages - set(TABLE))
    assert not missing, f"add a row for {missing} to the allowed-imports table of docs/architecture.md"
    unknown = sorted({p for allowed in TABLE.values() for p in allowed} - set(TABLE) - {ANY})
    assert not unknown, f"the allowed-imports table names packages without a row: {unknown}"


def test_imports_follow_the_table():
    problems = forbidden_edges(EDGES, TABLE)
    assert not problems, "imports the table of docs/architecture.md does not allow:\n" + "\n".join(problems)


def test_no_import_circle_between_modules():
    found = cycles(EDGES)
    assert not found, "import circles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_table_keeps_the_rules():
    importers_of_cli = sorted(p for p, allowed in TABLE.items() if "cli" in allowed or (ANY in allowed and p != "cli"))
    assert importers_of_cli == ["__main__"]
    for reader in ("report", "claims"):
        assert not TABLE[reader] & {"train", "models", "methods", "costs", "scoring", "wiring", "diagnostics"}, reader
    for part in ("data", "models", "methods"):
        assert not TABLE[part] & {"config", "train"}, part
    assert not TABLE["train"] & {"metrics", "diagnostics", "wiring"}
    package_edges = [(p, q) for p, allowed in TABLE.items() for q in allowed if q != ANY]
    assert cycles(package_edges) == []


# The checker itself, on a small tree where the answers are known.

def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/errors.py": "",
        "pkg/data/__init__.py": "from pkg.data.registry import load\n",
        "pkg/data/registry.py": "from pkg.data import toy\nfrom pkg.errors import E\n",
        "pkg/data/toy.py": "import os\n\ndef f():\n    from .registry import load\n",
        "pkg/report.py": "from pkg import errors\n\ndef g():\n    import pkg.data.toy\n",
    })


def test_edges_resolve_absolute_relative_and_lazy_imports(tree):
    assert import_edges(tree) == {
        ("pkg.data", "pkg.data.registry"): "pkg/data/__init__.py:1",
        ("pkg.data.registry", "pkg.data.toy"): "pkg/data/registry.py:1",
        ("pkg.data.registry", "pkg.errors"): "pkg/data/registry.py:2",
        ("pkg.data.toy", "pkg.data.registry"): "pkg/data/toy.py:4",
        ("pkg.report", "pkg.errors"): "pkg/report.py:1",
        ("pkg.report", "pkg.data.toy"): "pkg/report.py:4",
    }


def test_a_lazy_import_of_the_registry_is_a_circle(tree):
    assert cycles(import_edges(tree)) == [["pkg.data.registry", "pkg.data.toy", "pkg.data.registry"]]
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c", "a"]]
    assert cycles([("a", "b"), ("b", "c"), ("a", "c")]) == []


def test_an_import_outside_the_table_is_named(tree):
    table = {"pkg": set(), "errors": set(), "data": {"errors"}, "report": {"errors"}}
    assert forbidden_edges(import_edges(tree), table) == [
        "pkg/report.py:4: pkg.report imports pkg.data.toy, but `report` may import only errors"]
    assert forbidden_edges(import_edges(tree), {**table, "report": {ANY}}) == []


def test_the_table_is_read_from_markdown(tmp_path):
    doc = tmp_path / "a.md"
    doc.write_text("# x\n\n## Allowed imports\n\n| package | may import |\n| --- | --- |\n"
                   "| `io` | nothing |\n| `cli` | `*` |\n| `train` | `io`, `data` |\n\n## Next\n| `zz` | `io` |\n")
    assert allowed_table(doc) == {"io": set(), "cli": {ANY}, "train": {"io", "data"}}
