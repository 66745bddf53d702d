"""Does an answer message state the values the last calls returned? A deterministic floor.

``is_stated`` reads one message; a value the final answer states is one that
any of its messages states (``harness.score.answer``).

The values of a JSON result are its scalar leaves: numbers, and strings of at
most ``MAX_VALUE_CHARS`` characters (a longer text is paraphrased, not
quoted); booleans and nulls are not "stated" values. The values of a
plain-text result are the numbers and the codes (words with a letter and a
digit, such as ``HB-7731``) it contains.

A number is stated when a number written in the answer agrees with it within
the precision the answer shows: half a unit of its last decimal written
(``2,437.89`` states 2437.891; ``232`` states 232.4), and, after a hedge word
(``HEDGES``: "about 2,400"), half a unit of its last non-zero digit
(``about 2,400`` states 2,398.75; ``about 2,500`` does not).

A string is stated when its words (``normalise.tokens``) occur in the
answer's words as a run on word boundaries (``approved`` is not inside
``unapproved``, nor ``USD`` inside ``USDT``), or, for a qualified value
("Denver, CO"), when its head ("Denver") does; an occurrence directly after a
negation (``NEGATIONS``: "was not approved", "has not been approved") does not
count. An ISO date is stated by the same day in any common written form
(``October 15, 2023``, ``15 Oct``), and a currency code by the currency's
name or symbol (``USD``: "US dollars", "$"), and a 24-hour time by the same
time in 12-hour form (``09:00``: "9:00 AM"; ``button.validation.written_values``).

This checks wording, not meaning: an answer that swaps two values or adds a
false claim can pass it. Faithfulness is the judge's job.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from button.validation.written_values import written_in_other_form
from harness.score.normalise import FLOAT_SLACK, SEPARATOR, is_number, tokens

MAX_VALUE_CHARS = 40
# a number standing alone: not inside a word, a code, a date or a time ("UA1432", "2026-12-08", "10:05")
NUMBER = re.compile(r"(?<![\w.,:/-])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w:/-]|[.,]\d)")
CODE = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w-])")
HEDGES = frozenset({"about", "around", "approximately", "approx", "roughly", "nearly", "almost", "circa"})
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "cannot",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "hasnt",
        "havent",
        "hadnt",
        "wont",
        "cant",
        "couldnt",
        "shouldnt",
        "wouldnt",
    ]
)
_BRIDGES = frozenset({"be", "been", "being", "yet"})  # "not been approved", "not yet approved"


def stated_values(result: Any) -> list[Any]:
    """The values of a JSON result that an answer is expected to state."""
    if isinstance(result, dict):
        return [value for item in result.values() for value in stated_values(item)]
    if isinstance(result, list):
        return [value for item in result for value in stated_values(item)]
    if isinstance(result, bool) or result is None:
        return []
    if is_number(result):
        return [result]
    if isinstance(result, str) and 0 < len(result.strip()) <= MAX_VALUE_CHARS:
        return [result]
    return []


def text_values(text: str) -> list[Any]:
    """The values of a plain-text result: its numbers and its codes."""
    numbers: list[Any] = [value for value, _ in written_numbers(text)]
    return numbers + [match.group() for match in CODE.finditer(text)]


def is_stated(value: Any, answer: str) -> bool:
    if is_number(value):
        return any(abs(written - value) <= slack for written, slack in _numbers_with_slack(answer))
    if isinstance(value, str):
        return written_in_other_form(value, answer) or contains_words(answer, value, negation=True)
    return False


def written_numbers(text: str) -> list[tuple[float, str]]:
    """(value, as written) of each number in ``text``: ``2,398.75``, ``-3``, ``0.5``."""
    return [(float(match.group().replace(",", "")), match.group()) for match in NUMBER.finditer(text)]


def contains_words(text: str, value: str, *, negation: bool = False) -> bool:
    """Whether ``value`` (or its head, when it is qualified) occurs in ``text`` as a run of
    words; with ``negation``, an occurrence directly after a negation does not count."""
    words = tokens(text)
    heads = [tokens(value)] + [tokens(value[: cut.start()]) for cut in SEPARATOR.finditer(value)]
    for head in (h for h in heads if h):
        for start in range(len(words) - len(head) + 1):
            if words[start : start + len(head)] == head and not (negation and _negated(words, start)):
                return True
    return False


def text_contains(text: str, value: Any) -> bool:
    """Whether a plain-text result contains ``value``: a number written in it, a string as
    a run of its words, every item of a list."""
    if is_number(value):
        return any(
            abs(written - value) <= FLOAT_SLACK * max(1.0, abs(value)) for written, _ in written_numbers(text)
        )
    if isinstance(value, str):
        return bool(tokens(value)) and contains_words(text, value)
    if isinstance(value, list):
        return bool(value) and all(text_contains(text, item) for item in value)
    return False


def _negated(words: list[str], start: int) -> bool:
    before = words[max(0, start - 2) : start]
    if before and before[-1] in NEGATIONS:
        return True
    return len(before) == 2 and before[-1] in _BRIDGES and before[0] in NEGATIONS


def _numbers_with_slack(answer: str) -> list[tuple[float, float]]:
    found = []
    for match in NUMBER.finditer(answer):
        written = match.group().replace(",", "")
        hedged = _hedged(answer[: match.start()])
        found.append(
            (float(written), _precision(written, hedged) + FLOAT_SLACK * max(1.0, abs(float(written))))
        )
    return found


def _hedged(before: str) -> bool:
    """Whether the text before a number ends with a hedge: a word of ``HEDGES``, "close to",
    ``~`` or ``≈`` (a currency sign may stand between)."""
    before = before.rstrip().rstrip("$€£¥").rstrip()
    if before.endswith(("~", "≈")):
        return True
    words = tokens(before)[-2:]
    return bool(words) and (words[-1] in HEDGES or words == ["close", "to"])


def _precision(written: str, hedged: bool) -> float:
    """Half a unit of the last digit shown (of the last non-zero digit, when hedged)."""
    digits = written.lstrip("-")
    if "." in digits:
        return float(Decimal("0.5").scaleb(-len(digits.split(".")[1])))
    zeros = len(digits) - len(digits.rstrip("0")) if hedged and digits.strip("0") else 0
    return float(Decimal("0.5").scaleb(zeros))
