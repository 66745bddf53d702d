"""Whether an actual argument carries what a plan reference stands for.

A reference's sources are read from the results of the actual calls paired
with the referenced plan calls. A JSON result gives the value at the field
path; a plain-text result agrees with any value it contains
(``grounding.text_contains``); an error or a missing pair gives nothing.

- ``from``: the value agrees with the source (``normalise.values_agree``);
- ``from_all``: an array with one agreeing item per source, paired one to one
  (in order when ``ordered``);
- ``choice_from``: agrees with one of the sources;
- ``computed``: the expression, evaluated on the paired calls' JSON results,
  agrees with the value, numbers within the stated tolerance; an expression
  that fails on them (a missing field, a division by zero) does not agree.
  When a source is plain text the expression cannot be evaluated: UNVERIFIED;
- ``computed_from``: UNVERIFIED when every source call returned in an earlier
  assistant message than the call; else it does not agree.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from button.data_model.plan_expr import ExpressionError, evaluate
from button.data_model.plan_refs import (
    ChoiceFrom,
    Computed,
    ComputedFrom,
    FromAll,
    FromRef,
    Reference,
    resolve_path,
)
from harness.score.calls import ActualCall
from harness.score.grounding import text_contains
from harness.score.normalise import lists_pair, values_agree


class Agreement(enum.Enum):
    AGREES = "agrees"
    DISAGREES = "disagrees"
    UNVERIFIED = "unverified"  # plausible, but nothing could check it

    @property
    def passes(self) -> bool:
        return self is not Agreement.DISAGREES


Paired = Callable[[str], ActualCall | None]  # plan call id -> the actual call paired with it


@dataclass(frozen=True)
class Source:
    """What a field reference reads: a JSON value, or the plain text that may contain it."""

    found: bool
    value: Any = None
    text: str | None = None

    def agrees(self, actual: Any, tolerance: float = 0.0) -> bool:
        if not self.found:
            return False
        if self.text is not None:
            return text_contains(self.text, actual)
        return values_agree(self.value, actual, tolerance=tolerance)


def source(ref: FromRef, paired: Paired) -> Source:
    return read(paired(ref.call_id), ref.path)


def read(call: ActualCall | None, path: list[str]) -> Source:
    """The field at ``path`` of a call's answer."""
    if call is None or call.failed:
        return Source(found=False)
    if call.plain:
        return Source(found=True, text=call.text)
    try:
        return Source(found=True, value=resolve_path(call.result, path))
    except KeyError:
        return Source(found=False)


def agreement(reference: Reference, value: Any, paired: Paired, turn: int) -> Agreement:
    """Whether ``value``, sent in assistant message ``turn``, carries what ``reference`` stands for."""
    if isinstance(reference, ComputedFrom):
        earlier = [paired(ref.call_id) for ref in reference.sources]
        if all(call is not None and call.answered and call.turn < turn for call in earlier):
            return Agreement.UNVERIFIED
        return Agreement.DISAGREES
    if isinstance(reference, Computed):
        return _computed(reference, value, paired)
    sources = [source(ref, paired) for ref in reference.sources]
    if isinstance(reference, FromRef):
        agrees = sources[0].agrees(value)
    elif isinstance(reference, ChoiceFrom):
        agrees = any(item.agrees(value) for item in sources)
    elif isinstance(reference, FromAll):
        agrees = _all_of(sources, value, reference.ordered)
    return Agreement.AGREES if agrees else Agreement.DISAGREES


def _all_of(sources: list[Source], value: Any, ordered: bool) -> bool:
    if not isinstance(value, list) or len(value) != len(sources):
        return False
    if ordered:
        return all(item.agrees(given) for item, given in zip(sources, value, strict=True))
    return lists_pair(sources, value, lambda item, given: item.agrees(given))


def _computed(reference: Computed, value: Any, paired: Paired) -> Agreement:
    results: dict[str, Any] = {}
    for ref in reference.sources:
        call = paired(ref.call_id)
        if call is None or call.failed:
            return Agreement.DISAGREES
        if call.plain:
            return Agreement.UNVERIFIED
        results[ref.call_id] = call.result
    try:
        expected = evaluate(reference.expression, results)
    except ExpressionError:
        return Agreement.DISAGREES
    agrees = values_agree(expected, value, tolerance=reference.tolerance)
    return Agreement.AGREES if agrees else Agreement.DISAGREES
