"""Plan arguments that stand for earlier results: the reference forms.

A plan call's argument is a *reference* when it is a JSON object holding one
of the keys of ``FORMS``; it must then hold exactly that key and the form's
options. Any other value, objects included, is a *literal* (checked against
the parameter's schema when the task is loaded).

- ``{"from": "c1.field"}``: that field of c1's result;
- ``{"from_all": ["c1.price", "c2.price"], "ordered": false}``: an array of
  those fields, in any order unless ``ordered`` is true;
- ``{"choice_from": ["c1.city", "c2.city"]}``: one of those fields;
- ``{"computed": "EXPR", "tolerance": 0.01}``: the value of an expression
  over earlier results (``button.data_model.plan_expr``); numbers agree within
  ``tolerance`` (default ``DEFAULT_TOLERANCE``);
- ``{"computed_from": ["c1.a", "c2.b"]}``: some value derived from those
  results; it cannot be checked and is reported as unverified.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from button.data_model.plan_expr import ExpressionError, field_uses

FORMS: dict[str, str] = {
    "from": '{"from": "c1.field"}',
    "from_all": '{"from_all": ["c1.field", "c2.field"], "ordered": false}',
    "choice_from": '{"choice_from": ["c1.field", "c2.field"]}',
    "computed": '{"computed": "c1.price * 2 + c2.price", "tolerance": 0.01}',
    "computed_from": '{"computed_from": ["c1.field", "c2.field"]}',
}
OPTIONS: dict[str, set[str]] = {"from_all": {"ordered"}, "computed": {"tolerance"}}
DEFAULT_TOLERANCE = 0.01


def known_forms() -> str:
    return "; ".join(FORMS.values())


class ReferenceFormError(ValueError):
    """An object that names a reference form but does not follow it."""


class FromRef(BaseModel):
    """``{"from": "c1.field.sub"}``: must equal that field of call c1's result."""

    call_id: str
    path: list[str]

    @property
    def text(self) -> str:
        return ".".join([self.call_id, *self.path])

    @property
    def sources(self) -> list[FromRef]:
        return [self]

    def describe(self) -> str:
        return f"<- {self.text}"


class FromAll(BaseModel):
    """An array holding each of these fields (in this order when ``ordered``)."""

    sources: list[FromRef]
    ordered: bool = False

    def describe(self) -> str:
        kind = "all of (in order)" if self.ordered else "all of"
        return f"{kind} {', '.join(ref.text for ref in self.sources)}"


class ChoiceFrom(BaseModel):
    """Equal to one of these fields."""

    sources: list[FromRef]

    def describe(self) -> str:
        return f"one of {', '.join(ref.text for ref in self.sources)}"


class Computed(BaseModel):
    """The value of ``expression`` over the earlier results it reads (``sources``)."""

    expression: str
    tolerance: float = DEFAULT_TOLERANCE
    sources: list[FromRef]

    def describe(self) -> str:
        return f"= {self.expression}" + (f" (±{self.tolerance:g})" if self.tolerance else "")


class ComputedFrom(BaseModel):
    """``{"computed_from": ["c1.a", ...]}``: any value, once those results exist (unverified)."""

    sources: list[FromRef]

    def describe(self) -> str:
        return f"computed from {', '.join(ref.text for ref in self.sources)}"


Reference = FromRef | FromAll | ChoiceFrom | Computed | ComputedFrom


def parse_ref(text: str) -> FromRef:
    """``"c1.field.sub"`` -> FromRef(call_id="c1", path=["field", "sub"])."""
    call_id, *path = text.split(".")
    return FromRef(call_id=call_id, path=path)


def parse_argument(value: Any) -> Reference | None:
    """The reference an argument stands for; None for a literal; ``ReferenceFormError`` if malformed."""
    if not isinstance(value, dict):
        return None
    named = [key for key in FORMS if key in value]
    if not named:
        return None
    if len(named) > 1:
        raise ReferenceFormError(f"a reference has one form, this one has {', '.join(named)}")
    form = named[0]
    extra = sorted(set(value) - {form} - OPTIONS.get(form, set()))
    if extra:
        takes = sorted(OPTIONS.get(form, set()))
        raise ReferenceFormError(
            f"unknown key {extra[0]!r} in a {form!r} reference"
            + (f" (it takes {', '.join(map(repr, takes))})" if takes else " (it takes no other key)")
        )
    body = value[form]
    if form == "from":
        return parse_ref(_path_text(body, form))
    if form == "computed":
        return _computed(body, value.get("tolerance", DEFAULT_TOLERANCE))
    if not isinstance(body, list) or not body:
        raise ReferenceFormError(f"{form!r} takes a non-empty list of field paths like 'c1.price'")
    sources = [parse_ref(_path_text(item, form)) for item in body]
    if form == "from_all":
        ordered = value.get("ordered", False)
        if not isinstance(ordered, bool):
            raise ReferenceFormError(f"'ordered' must be true or false, got {json.dumps(ordered)}")
        return FromAll(sources=sources, ordered=ordered)
    if form == "choice_from":
        return ChoiceFrom(sources=sources)
    return ComputedFrom(sources=sources)


def argument_source(value: Any) -> Reference | None:
    """The reference an argument value stands for, or None for a literal (or a malformed reference)."""
    try:
        return parse_argument(value)
    except ReferenceFormError:
        return None


def _path_text(item: Any, form: str) -> str:
    if not isinstance(item, str) or not item.strip(".") or ".." in item:
        raise ReferenceFormError(f"{form!r} takes field paths like 'c1.price', got {json.dumps(item)}")
    return item


def _computed(expression: Any, tolerance: Any) -> Computed:
    if not isinstance(expression, str) or not expression.strip():
        raise ReferenceFormError("'computed' takes an expression string like 'c1.price * 2'")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        raise ReferenceFormError(f"'tolerance' must be a number >= 0, got {json.dumps(tolerance)}")
    try:
        uses = field_uses(expression)
    except ExpressionError as error:
        raise ReferenceFormError(f"'computed' expression {expression!r}: {error}") from error
    if not uses:
        raise ReferenceFormError(f"'computed' expression {expression!r} reads no earlier result")
    sources = [FromRef(call_id=use.call_id, path=list(use.path)) for use in uses]
    return Computed(expression=expression, tolerance=float(tolerance), sources=sources)


def resolve_path(value: Any, path: list[str]) -> Any:
    """Follow a field path into a JSON value; list items by index. KeyError if absent."""
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value
