"""When two values agree: the normalisation rules shared by matching and grounding.

Text is compared as *tokens*: Unicode NFKC, accents stripped (NFKD without
combining marks), case-folded, apostrophes deleted (``O'Hare`` = ``OHare``),
every other character that is not a letter or digit read as a space
(``in_transit`` = ``in transit``), split on whitespace.

Two strings agree when their tokens are equal, or when one is the other
followed by a *qualifier*: the longer string, cut at a separator, gives the
shorter one's tokens before the cut. A separator is a comma, semicolon,
slash, ``|``, an opening parenthesis or bracket, or a dash with whitespace on
both sides. So "Paris, France", "Paris (FR)" and "Paris - Ile-de-France"
agree with "Paris"; "Parisian", "Paris Orly" and "New York" (for "York") do not.

A date agrees with the same day in another written form ("2026-12-06",
"December 6, 2026"), when the call keeps the year the plan gives; a planned
date without a year ("December 6th", as the user said it) takes any year.

Numbers agree by value (``2`` = ``2.0``), within a tolerance where one is
stated; booleans and null only with themselves; a string never with a number.
Lists agree as multisets (each item paired with one agreeing item) unless
ordered; objects when they have the same keys and their values agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from button.validation.written_dates import one_date

SEPARATOR = re.compile(r"[,;/|(\[]|\s[-–—]\s")
_APOSTROPHES = re.compile(r"['’ʼ`]")
_NOT_WORD = re.compile(r"[^\w]|_")
FLOAT_SLACK = 1e-9  # float noise: 0.1 + 0.2 agrees with 0.3


def tokens(text: str) -> list[str]:
    """The comparable words of a text (see the module doc)."""
    folded = unicodedata.normalize("NFKC", text)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", stripped.casefold())).split()


def strings_agree(left: str, right: str) -> bool:
    left_tokens, right_tokens = tokens(left), tokens(right)
    if left_tokens == right_tokens:
        return True
    short, long = (left, right) if len(left_tokens) < len(right_tokens) else (right, left)
    return qualifies(long, tokens(short))


def qualifies(text: str, head: list[str]) -> bool:
    """Whether ``text`` is ``head`` followed by a separator and a qualifier."""
    if not head:
        return False
    return any(tokens(text[: cut.start()]) == head for cut in SEPARATOR.finditer(text))


def dates_agree(expected: str, actual: str) -> bool:
    """Whether both are wholly one date, the same day, and ``actual`` has the year ``expected``
    gives (any year, when it gives none)."""
    planned, given = one_date(expected), one_date(actual)
    if planned is None or given is None:
        return False
    return planned[1:] == given[1:] and planned[0] in {None, given[0]}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_agree(expected: Any, actual: Any, *, tolerance: float = 0.0, ordered: bool = False) -> bool:
    """Whether ``actual`` agrees with ``expected`` (see the module doc). ``ordered`` applies
    to the outer list only; ``tolerance`` to every number."""
    if is_number(expected) and is_number(actual):
        return abs(float(expected) - float(actual)) <= tolerance + FLOAT_SLACK * max(
            1.0, abs(float(expected))
        )
    if isinstance(expected, str) and isinstance(actual, str):
        return strings_agree(expected, actual) or dates_agree(expected, actual)
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return False
        if ordered:
            return all(values_agree(e, a, tolerance=tolerance) for e, a in zip(expected, actual, strict=True))
        return lists_pair(expected, actual, lambda e, a: values_agree(e, a, tolerance=tolerance))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return set(expected) == set(actual) and all(
            values_agree(value, actual[key], tolerance=tolerance) for key, value in expected.items()
        )
    return type(expected) is type(actual) and bool(expected == actual)  # booleans, null


def lists_pair(expected: list[Any], actual: list[Any], agree: Callable[[Any, Any], bool]) -> bool:
    """Whether every expected item can be paired with its own agreeing actual item (a perfect
    matching, found by augmenting paths: exact even when agreement is not transitive)."""
    if len(expected) != len(actual):
        return False
    owner: dict[int, int] = {}  # actual index -> expected index

    def place(item: int, seen: set[int]) -> bool:
        for index, value in enumerate(actual):
            if index in seen or not agree(expected[item], value):
                continue
            seen.add(index)
            if index not in owner or place(owner[index], seen):
                owner[index] = item
                return True
        return False

    return all(place(item, set()) for item in range(len(expected)))
