"""``{"computed": EXPR}`` expressions: checked when a task is loaded, evaluated when it is scored.

An expression is one Python expression over the results of earlier plan
calls, each named by its call id (``c1``), with fields read as attributes or
subscripts: ``c1.price_usd * 10 + c2.price_usd * 5``,
``c1.city if c1.price <= c2.price else c2.city``, ``c1.items[0].price``,
``sum(item.price for item in c1.items)``. Allowed: numbers, strings,
arithmetic, comparisons, ``and``/``or``/``not``, conditionals, list and tuple
displays, comprehensions, and the functions in ``FUNCTIONS``. Nothing else:
no other names, no lambdas, no attribute starting with ``_``.

It is evaluated with ``simpleeval`` (never ``eval``) on the actual results,
each wrapped so that ``c1.items`` reads the field ``items`` and not a dict
method.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simpleeval import EvalWithCompoundTypes

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "sum": sum,
    "len": len,
    "round": round,
    "abs": abs,
}
CONSTANTS = {"True", "False", "None"}
_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.GeneratorExp,
    ast.ListComp,
    ast.comprehension,
    ast.expr_context,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


class ExpressionError(ValueError):
    """An expression that does not parse, uses what is not allowed, or fails on the results."""


@dataclass(frozen=True)
class FieldUse:
    """A field path read from a call's result: ``c1.arrival.city`` -> ("c1", ("arrival", "city"))."""

    call_id: str
    path: tuple[str, ...]


def field_uses(expression: str) -> list[FieldUse]:
    """The result fields an expression reads, in order; ``ExpressionError`` if it is not allowed."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"does not parse: {error.msg}") from error
    bound: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.comprehension):
            if not isinstance(node.target, ast.Name) or node.is_async:
                raise ExpressionError("a comprehension must bind one plain name")
            bound.add(node.target.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ExpressionError(f"calls only {', '.join(sorted(FUNCTIONS))}, with positional arguments")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(f"field {node.attr!r}: use c1[{node.attr!r}] for a name starting with _")
    uses: list[FieldUse] = []
    _collect(tree.body, bound, uses)
    return uses


def _collect(node: ast.AST, bound: set[str], uses: list[FieldUse]) -> None:
    """Field paths rooted at a call id; the path stops at the first computed subscript."""
    chain = _field_chain(node)
    if chain is not None:
        root, path, rest = chain
        if root not in bound and root not in FUNCTIONS and root not in CONSTANTS:
            use = FieldUse(root, tuple(path))
            if use not in uses:
                uses.append(use)
        for inner in rest:
            _collect(inner, bound, uses)
        return
    if isinstance(node, ast.Call):
        for argument in node.args:
            _collect(argument, bound, uses)
        return
    for child in ast.iter_child_nodes(node):
        _collect(child, bound, uses)


def _field_chain(node: ast.AST) -> tuple[str, list[str], list[ast.AST]] | None:
    """(root name, constant path, computed subscripts to visit) for ``a.b[0].c``; None otherwise."""
    path: list[str] = []
    rest: list[ast.AST] = []
    while True:
        if isinstance(node, ast.Attribute):
            path.insert(0, node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str | int) and key.value is not True:
                path.insert(0, str(key.value))
            else:
                path.clear()  # a computed index: only the part before it is a known field
                rest.append(key)
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, path, rest
        else:
            return None


class _Fields:
    """A JSON object whose keys read as attributes (and subscripts), never as dict methods."""

    __slots__ = ("_value",)

    def __init__(self, value: dict[str, Any]) -> None:
        self._value = value

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._value[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._value[key])

    def __len__(self) -> int:
        return len(self._value)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _Fields(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def evaluate(expression: str, results: dict[str, Any]) -> Any:
    """The expression's value over ``results`` (call id -> JSON result); ``ExpressionError`` if it fails."""
    evaluator = EvalWithCompoundTypes(
        names={call_id: _wrap(result) for call_id, result in results.items()},
        functions=FUNCTIONS,
    )
    try:
        value = evaluator.eval(expression.strip())
    except Exception as error:  # simpleeval raises many kinds, and so do the operations it runs
        raise ExpressionError(f"{type(error).__name__}: {error}") from error
    return _unwrap(value)


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Fields):
        return value._value
    if isinstance(value, list | tuple):
        return [_unwrap(item) for item in value]
    return value
