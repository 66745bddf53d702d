"""A value written in a form other than its own: a currency's ISO code as the currency's
English name or symbol (``USD``: "US dollars", "$"), an ISO date as people write dates
(``button.validation.written_dates``).

Synthesis asks whether a task states an argument's value (a function takes ``USD`` where
the user said "US dollars"); scoring asks whether an answer states a result's value. Both
match a value written as itself first; this is the check for the other forms. Cases:
``tests/button/test_written_values.py``.
"""

from __future__ import annotations

import re
from functools import cache

from babel.numbers import get_currency_name, get_currency_symbol, list_currencies

from button.validation.written_dates import date_is_written, iso_date

_CODE = re.compile(r"[A-Z]{3}")


def written_in_other_form(value: str, text: str, *, year_needed: bool = False) -> bool:
    """Whether ``text`` states ``value`` as a currency's name or symbol, or as a written date
    (with its year, when ``year_needed``)."""
    said = value.strip()
    day = iso_date(said)
    if day is not None:
        return date_is_written(day, text, year_needed=year_needed)
    if _CODE.fullmatch(said):
        return any(form.search(text) for form in _currency_forms(said))
    return False


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
