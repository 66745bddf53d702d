"""Rules on generated text: length, naming no tool, concrete details, near-duplicates.

Near-duplicates: texts are lowercased and split into word tokens; two texts are
near-duplicates when ``difflib.SequenceMatcher`` over their token lists gives a
ratio of at least ``NEAR_DUPLICATE_RATIO``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import snowballstemmer

from simulator.synthesis.stage_context import DropReason

NEAR_DUPLICATE_RATIO = 0.85
REPEAT_SHARE = 0.85  # of an earlier step's words that a later step holding them repeats it
MIN_TASK_CHARS = 20
MAX_TASK_CHARS = 300
MIN_TASK_WORDS = 4

_WORD = re.compile(r"[a-z0-9]+")
# snake_case or camelCase identifiers, calls like ``lookup()``, or words about tools
# (a word of a hyphenated name, as in "the payments-api repository", is a name, not talk of tools)
_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b|\b[a-z]{2,}[A-Z]\w*\b|\b\w+\(\)")
_TOOL_WORD = re.compile(r"(?<![\w-])(?:function|tool|api|endpoint)s?(?![\w-])", re.IGNORECASE)
_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "for",
        "from",
        "with",
        "into",
        "onto",
        "that",
        "this",
        "then",
        "than",
        "them",
        "they",
        "their",
        "there",
        "what",
        "which",
        "when",
        "where",
        "find",
        "get",
        "give",
        "make",
        "need",
        "needs",
        "using",
        "based",
        "after",
        "before",
        "about",
        "your",
        "have",
        "will",
        "each",
        "both",
        "also",
        "some",
        "more",
        "most",
        # three-letter words that carry no subject
        "all",
        "any",
        "are",
        "was",
        "has",
        "its",
        "not",
        "but",
        "can",
        "may",
        "you",
        "our",
        "his",
        "her",
        "who",
        "how",
        "why",
        "per",
        "via",
        "one",
        "two",
        "out",
        "off",
        "own",
        "let",
    ]
)
_STEMMER = snowballstemmer.stemmer("english")
_JOINS_TWO = re.compile(r";|\b(?:and|then|also|plus|compare|compares|comparing|versus|vs)\b", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    """The stems of the numbers and of the words of three or more letters that carry meaning
    (no stopwords): "shipping" and "ship", "bugs" and "bug" are one word."""
    return set(
        _STEMMER.stemWords(
            [word for word in tokens(text) if (word.isdigit() or len(word) >= 3) and word not in _STOPWORDS]
        )
    )


def can_hold_two_requests(text: str) -> bool:
    """Whether ``text``'s words can join two requests: "and", "then", "also", "plus", a
    semicolon, or a comparison (of two things looked up). Cases: ``tests/simulator/test_synth_rules.py``."""
    return bool(_JOINS_TWO.search(text))


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, tokens(a), tokens(b), autojunk=False).ratio()


def repeats_earlier(earlier: str, later: str) -> bool:
    """Whether ``later`` asks again what ``earlier`` asks: a near-duplicate, or a request
    holding nearly every word of ``earlier`` (the 1.5B model's follow-ups restated the
    first request with a few words more), unless it is about another thing. Cases:
    ``tests/simulator/test_synth_rules.py``."""
    if _replaces_a_detail(earlier, later):
        return False
    if similarity(earlier, later) >= NEAR_DUPLICATE_RATIO:
        return True
    words = content_words(earlier)
    return bool(words) and len(words & content_words(later)) >= REPEAT_SHARE * len(words)


def _replaces_a_detail(earlier: str, later: str) -> bool:
    """Whether ``later`` puts another detail in place of one of ``earlier``'s: the same request
    about another thing (apartment B at number 23 after apartment A at number 22)."""
    before, after = _details(earlier), _details(later)
    return bool(before - after) and bool(after - before)


def _details(text: str) -> set[str]:
    """The numbers and capitalized words of ``text`` after its first word, case-folded."""
    words = re.findall(r"[\w$£€]+", text)[1:]
    return {word.casefold() for word in words if word[0].isupper() or any(c.isdigit() for c in word)}


def tool_name_in(text: str) -> str | None:
    """The first identifier-like or tool-talking word in ``text``, or None."""
    match = _IDENTIFIER.search(text) or _TOOL_WORD.search(text)
    return match.group(0) if match else None


@dataclass(frozen=True)
class TextProblem:
    """Why a text is not a usable task description: the code, and the particulars."""

    reason: DropReason
    detail: str


def task_text_problem(text: str) -> TextProblem | None:
    """Why ``text`` is not a usable task description, or None."""
    text = text.strip()
    if len(text) < MIN_TASK_CHARS:
        return TextProblem(DropReason.TOO_SHORT, f"{len(text)} chars, need {MIN_TASK_CHARS}")
    if len(text) > MAX_TASK_CHARS:
        return TextProblem(DropReason.TOO_LONG, f"{len(text)} chars, at most {MAX_TASK_CHARS}")
    if re.search(r"&#?\w+;|[<>{}\[\]\\]", text):
        return TextProblem(DropReason.MARKUP, "")
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) < MIN_TASK_WORDS:
        return TextProblem(DropReason.TOO_FEW_WORDS, f"{len(words)}, need {MIN_TASK_WORDS}")
    word = tool_name_in(text)
    if word:
        return TextProblem(DropReason.NAMES_TOOL, repr(word))
    return None


def has_concrete_detail(text: str) -> bool:
    """A number, or a capitalized word that does not start a sentence (a name or place)."""
    if re.search(r"\d", text):
        return True
    words = text.split()
    return any(
        word[:1].isupper() and not words[i - 1].endswith((".", "!", "?", ":"))
        for i, word in enumerate(words)
        if i > 0
    )


class NearDuplicates:
    """Texts seen so far; ``check`` says which earlier text a new one repeats."""

    def __init__(self, ratio: float = NEAR_DUPLICATE_RATIO) -> None:
        self.ratio = ratio
        self._seen: list[tuple[str, str]] = []  # (label, text)

    def match(self, text: str) -> str | None:
        for label, seen in self._seen:
            if similarity(text, seen) >= self.ratio:
                return label
        return None

    def add(self, label: str, text: str) -> None:
        self._seen.append((label, text))

    def check(self, label: str, text: str) -> str | None:
        """The label of an earlier near-duplicate, or None (and remember ``text``)."""
        earlier = self.match(text)
        if earlier is None:
            self.add(label, text)
        return earlier
