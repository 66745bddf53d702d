"""A value written in a form other than its own: a currency's ISO code as the currency's
English name or symbol (``USD``: "US dollars", "$"), an ISO date or month as people write
them (``button.validation.written_dates``; ``2025-10``: "October 2025", with its year), a
24-hour time in 12-hour form (``14:30``: "2:30 PM", ``09:00``: "9am"; an hour alone counts
only with its am or pm); and the numbers a text writes, in digits or as a word ("two").

Synthesis asks whether a task states an argument's value (a function takes ``USD`` where
the user said "US dollars"); scoring asks whether an answer states a result's value. Both
match a value written as itself first; this is the check for the other forms. Cases:
``tests/button/test_written_values.py``.
"""

from __future__ import annotations

import re
from functools import cache

from babel.numbers import get_currency_name, get_currency_symbol, list_currencies

from button.validation.written_dates import date_is_written, iso_date, iso_month, month_is_written

_CODE = re.compile(r"[A-Z]{3}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_TWELVE_HOUR = re.compile(r"(?<![\d:])(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?\s*m\b\.?", re.IGNORECASE)
_TWENTY_FOUR_HOUR = re.compile(r"(?<![\d:])(\d{1,2}):([0-5]\d)(?![\d:])(?!\s*[ap]\.?\s*m\b)", re.IGNORECASE)


def written_in_other_form(value: str, text: str, *, year_needed: bool = False) -> bool:
    """Whether ``text`` states ``value`` as a currency's name or symbol, or as a written date
    (with its year, when ``year_needed``)."""
    said = value.strip()
    day = iso_date(said)
    if day is not None:
        return date_is_written(day, text, year_needed=year_needed)
    month = iso_month(said)
    if month is not None:
        return month_is_written(*month, text)
    if _CODE.fullmatch(said):
        return any(form.search(text) for form in _currency_forms(said))
    clock = _CLOCK.fullmatch(said)
    if clock is not None:
        return (int(clock[1]), int(clock[2])) in _times_in(text)
    return False


def _times_in(text: str) -> set[tuple[int, int]]:
    """(hour, minute) of every clock time ``text`` writes: ``9:00 AM``, ``9am``, ``14:30``."""
    times = {(int(hour), int(minute)) for hour, minute in _TWENTY_FOUR_HOUR.findall(text)}
    for hour, minute, half in _TWELVE_HOUR.findall(text):
        afternoon = half.lower() == "p"
        times.add((int(hour) % 12 + (12 if afternoon else 0), int(minute or 0)))
    return times


@cache
def _currency_forms(code: str) -> tuple[re.Pattern[str], ...]:
    """Patterns of the English names (singular and plural) and the symbol of a currency code."""
    if code not in list_currencies():
        return ()
    names = {get_currency_name(code, count=count, locale="en") for count in (1, 2)}
    forms = [re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE) for name in names]
    symbol = get_currency_symbol(code, locale="en")
    if symbol != code:  # "CHF" is its own symbol: the code, not another form
        forms.append(re.compile(rf"(?<![\w$]){re.escape(symbol)}"))
    return tuple(forms)


def numbers_written(text: str) -> set[float]:
    """Every number ``text`` writes, as a whole (``10,000`` is 10000; ``two`` is 2; ``2026-12-05``
    holds 2026, 12 and 5, not 2)."""
    numbers = {float(found) for found in _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text))}
    words = set(re.findall(r"[a-z]+", text.lower()))
    return numbers | {float(value) for value, word in enumerate(_NUMBER_WORDS) if word in words}
