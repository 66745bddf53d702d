"""Kinds of value a field's name plainly says: a date or time, money, a place, a temperature.

The function stage refuses a parameter fed from a result field of another kind
(``start_date`` from ``price_eur``). Most names say no kind ("check_in",
"order_id", "amount"): those are never judged, so the table holds only words
whose kind no reader would doubt. A hand table, not a package: no package we
found maps English field names to kinds of value.
"""

from __future__ import annotations

_WORDS_OF_KIND = {
    "when": "date dates day time datetime timestamp deadline month",
    "money": "price prices cost costs fee fees fare fares budget rent salary eur usd gbp dollars euros",
    "place": "city country location address destination region airport street",
    "temperature": "temperature celsius fahrenheit",
}
_KIND_OF_WORD = {word: kind for kind, words in _WORDS_OF_KIND.items() for word in words.split()}


def kinds_named(name: str) -> frozenset[str]:
    """The kinds of value the words of a snake_case name say."""
    return frozenset(_KIND_OF_WORD[word] for word in name.lower().split("_") if word in _KIND_OF_WORD)


def of_another_kind(parameter: str, field: str) -> bool:
    """Whether both names say a kind of value and no kind is said by both."""
    wanted, given = kinds_named(parameter), kinds_named(field)
    return bool(wanted and given) and not wanted & given
