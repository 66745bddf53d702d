"""Every third-party module the code imports comes from a distribution pyproject.toml declares:
the packages from ``dependencies``, the tests and benchmarks from those or the ``test`` extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OURS = {"button", "simulator", "mcp_servers", "harness", "tui", "tests", "bench"}
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def declared(requirements: list[str]) -> set[str]:
    """The distributions named; one that provides no module of its own (``fastmcp``, which
    installs ``fastmcp-slim``) stands for the distributions it requires."""
    names = {_requirement_name(requirement) for requirement in requirements}
    with_modules = {_normal(d) for providers in packages_distributions().values() for d in providers}
    for name in [name for name in names if name not in with_modules]:
        names |= {_requirement_name(inner) for inner in requires(name) or [] if "extra ==" not in inner}
    return names


def _requirement_name(requirement: str) -> str:
    return _normal(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def undeclared(folders: list[str], allowed: set[str]) -> dict[str, list[str]]:
    """Imported module -> the distributions that provide it, for each one none of ``allowed`` provides."""
    providers = packages_distributions()
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for top in {name.split(".")[0] for name in names} - OURS - set(sys.stdlib_module_names):
                    distributions = [_normal(d) for d in providers.get(top, [top])]
                    if not set(distributions) & allowed:
                        found[top] = distributions
    return found


def test_the_packages_import_only_declared_dependencies() -> None:
    allowed = declared(PROJECT["dependencies"])
    assert undeclared(["button", "simulator", "mcp_servers", "harness", "tui"], allowed) == {}


def test_tests_and_benchmarks_import_only_declared_dependencies() -> None:
    allowed = declared(PROJECT["dependencies"]) | declared(PROJECT["optional-dependencies"]["test"])
    assert undeclared(["tests", "bench"], allowed) == {}
