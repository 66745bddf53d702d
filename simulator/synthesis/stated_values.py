"""What a step states that its call must carry: its numbers, and a first step's names.

A task that passes every other rule can still expect a call that loses what the
user said (``convert_usd_to_local`` without the $1,200, a forecast for "Algonquin
Park" asked with the date alone). Cases: ``tests/simulator/test_stated_numbers_rule.py``,
``test_stated_names_rule.py``.
"""

from __future__ import annotations

import re

from button.data_model.json_types import ToolArguments
from button.validation.written_dates import MONTHS
from button.validation.written_values import numbers_written

# "the two apartments", "those three": a word after them points at things, it is no value
_POINTING = re.compile(r"\b(?:the|those|these)\s+[a-z]+\b", re.IGNORECASE)
# a run of capitalized words ("Chicago O'Hare", "Supplier A"), and what opens a sentence
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+)$")
_NOT_NAMES = {*MONTHS, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "i"}


def numbers_left_out(step: str, arguments: ToolArguments) -> set[float]:
    """The numbers ``step`` states that no literal argument holds: 0 and 1 aside ("one night",
    "the one that": a call takes them as its default), and a number word after "the"."""
    given: set[float] = set()
    for value in arguments.values():
        if isinstance(value, str):
            given |= numbers_written(value)  # a text writes numbers too ("June 24")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            given.add(abs(float(value)))
    return numbers_written(_POINTING.sub(" ", step)) - {0.0, 1.0} - given


def names_left_out(step: str, arguments: ToolArguments) -> list[str]:
    """The names ``step`` states inside its sentences that no literal argument holds a word of
    (a weekday or month is a date, not a name)."""
    said = " ".join(value for value in arguments.values() if isinstance(value, str)).casefold()
    left_out = []
    for found in _NAME.finditer(step):
        words = found[0].split()
        if _SENTENCE_START.search(step[: found.start()]):
            words = words[1:]  # "Check", "Paris hotels": an opening word may be any word
        words = [word for word in words if word.casefold() not in _NOT_NAMES]
        if words and not any(word.casefold() in said for word in words):
            left_out.append(" ".join(words))
    return left_out
