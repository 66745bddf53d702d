"""Dates as people write them: ``October 15, 2023``, ``15 Oct 2023``, ``the 15th of October``;
and months with their year, ``October 2023`` for ``2023-10``.

An ISO date (``2023-10-15``) is stated by a text that names the same day in
any of these forms; a year left out is taken as meant (the text is about that
date) unless the year is needed, and a different year is not it. Numeric forms
other than ISO (``10/15/2023``) are not read: day and month order differ by
country. Cases:
``tests/harness/test_score_matching.py``, ``tests/button/test_written_values.py``.
"""

from __future__ import annotations

import re
from datetime import date

ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")  # "2026-12-7" too, as a model wrote it
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.IGNORECASE)
DAY_FIRST = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?![a-z]){_YEAR}", re.IGNORECASE)
# "June 24 and 25", "June 23, 24 or 25, 2026": more days under one month (not "June 24 and 25 rooms")
_LISTED = r"(?:,\s*|,?\s+(?:and|or)\s+)\d{1,2}(?:st|nd|rd|th)?\b"
MONTH_FIRST_LIST = re.compile(rf"\b{_MONTH}\s+{_DAY}((?:{_LISTED})+)(?!\s+[a-z]){_YEAR}", re.IGNORECASE)
WRITTEN_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
ISO_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
MONTH_AND_YEAR = re.compile(rf"\b{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE)


def iso_date(value: str) -> date | None:
    """The date a value is, when the whole value is an ISO date."""
    found = ISO_DATE.fullmatch(value.strip())
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun)\.?,?\s+"
_ONE_DATE = re.compile(rf"(?:{_WEEKDAY})?(?:the\s+)?([^\s].*)", re.IGNORECASE)


def one_date(value: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a value that is wholly one date, in any form this module
    reads ("2026-12-06", "Sunday, June 24", "the 6th of December"); a weekday is not checked."""
    found = _ONE_DATE.fullmatch(value.strip().rstrip("."))
    if found is None:
        return None
    rest = found[1]
    for pattern in (WRITTEN_ISO, MONTH_FIRST, DAY_FIRST):
        match = pattern.fullmatch(rest)
        if match is not None:
            return written_days(match[0])[0]
    return None


def iso_month(value: str) -> tuple[int, int] | None:
    """(year, month) of a value that is a whole ISO month such as ``2025-10``."""
    found = ISO_MONTH.fullmatch(value.strip())
    return (int(found[1]), int(found[2])) if found else None


def month_is_written(year: int, month: int, text: str) -> bool:
    """Whether ``text`` names the month with its year ("October 2025"): a month alone could be any."""
    return any(
        (MONTHS[found[1].lower()], int(found[2])) == (month, year) for found in MONTH_AND_YEAR.finditer(text)
    )


def written_days(text: str) -> list[tuple[int | None, int, int]]:
    """(year or None, month, day) of every date ``text`` writes."""
    days: list[tuple[int | None, int, int]] = []
    for match in WRITTEN_ISO.finditer(text):
        days.append((int(match[1]), int(match[2]), int(match[3])))
    return days + [(year, month, number) for _, year, month, number in _words_dates(text)]


def _words_dates(text: str) -> list[tuple[str, int | None, int, int]]:
    """(how the text writes it, year or None, month, day) of every date ``text`` writes in words."""
    found: list[tuple[str, int | None, int, int]] = []
    for match in MONTH_FIRST.finditer(text):
        found.append((match[0], int(match[3]) if match[3] else None, MONTHS[match[1].lower()], int(match[2])))
    for match in DAY_FIRST.finditer(text):
        found.append((match[0], int(match[3]) if match[3] else None, MONTHS[match[2].lower()], int(match[1])))
    for match in MONTH_FIRST_LIST.finditer(text):
        year = int(match[4]) if match[4] else None
        for number in re.findall(r"\d{1,2}", match[3]):
            found.append((f"{match[1]} {number}", year, MONTHS[match[1].lower()], int(number)))
    return found


def form_in_text(year: int | None, month: int, number: int, text: str) -> str | None:
    """How ``text`` writes a day in words ("June 24th", "June 25" of "June 24 and 25"), when it
    writes that month and day with no year, or with ``year``, or ``year`` is not known."""
    for written, given, found_month, found_day in _words_dates(text):
        if (found_month, found_day) == (month, number) and (year is None or given in (None, year)):
            return written
    return None


def yearless_form(day: date, text: str) -> str | None:
    """How ``text`` writes the month and day of ``day`` ("June 24th"), when it writes them and
    never with a year: the day as the user says it, whose year nobody gave."""
    forms: list[str] = []
    for written, year, month, number in _words_dates(text):
        if (month, number) == (day.month, day.day):
            if year is not None:
                return None
            forms.append(written)
    return forms[0] if forms else None


def date_is_written(day: date, text: str, *, year_needed: bool = False) -> bool:
    allowed = (day.year,) if year_needed else (None, day.year)
    return any(
        (month, number) == (day.month, day.day) and year in allowed
        for year, month, number in written_days(text)
    )
