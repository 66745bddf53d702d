"""Imports run one way, read from the source (every ``import``, at module level or inside a function).

- the packages in layers: ``button`` ◀ ``simulator`` ◀ ``mcp_servers`` ◀ ``harness`` ◀ ``tui``;
  a module imports from its own layer or the ones before it;
- no module imports ``button.cli.main``, the entry point that loads the command modules;
- no cycle between modules;
- no two modules share a file name.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from importlib.util import resolve_name
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAYERS = ["button", "simulator", "mcp_servers", "harness", "tui"]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The project modules ``path`` imports (a ``from package import name`` counts as
    ``package.name`` when that is a module, else as ``package``)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                resolve_name("." * node.level + (node.module or ""), package)
                if node.level
                else node.module or ""
            )
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {name for name in found if name.split(".")[0] in LAYERS}


MODULES = {module_name(path): path for layer in LAYERS for path in (REPO / layer).rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def test_packages_import_only_their_own_layer_or_earlier() -> None:
    upward = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if LAYERS.index(target.split(".")[0]) > LAYERS.index(name.split(".")[0])
    ]
    assert upward == []


def test_no_module_imports_the_cli_entry_point() -> None:
    assert [name for name, targets in GRAPH.items() if "button.cli.main" in targets] == []


def test_no_import_cycles() -> None:
    try:
        TopologicalSorter(GRAPH).prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_no_two_modules_share_a_file_name() -> None:
    """A file name says one job: ``runner.py`` in two folders would say two."""
    by_name: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            by_name.setdefault(path.name, []).append(name)
    assert {file: names for file, names in by_name.items() if len(names) > 1} == {}
