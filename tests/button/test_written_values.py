"""When does a text state a value written in another form: a currency's ISO code as its name or
symbol, an ISO date as people write dates, a 24-hour time in 12-hour form. The verdicts are a
careful reader's."""

from __future__ import annotations

import pytest

from button.validation.written_values import written_in_other_form

STATED = [
    ("USD", "Convert 5,000 US dollars to euros."),
    ("EUR", "Convert 5,000 US dollars to euros."),
    ("USD", "Split a budget of $10,000 between two shares."),
    ("GBP", "A hotel in Leeds at no more than £90 a night."),
    ("JPY", "Send 30,000 Japanese yen to my sister."),
    ("CHF", "Pay the invoice of 1,200 Swiss francs."),
    ("2026-10-15", "Book it for October 15, 2026."),
    ("2026-10-15", "Deliver on the 15th of October."),
    ("09:00", "Your appointment is confirmed for 9:00 AM."),
    ("09:00", "It starts at 9am."),
    ("09:00", "It starts at 9 a.m. sharp."),
    ("14:30", "The slot is 2:30 PM to 3:15 PM."),
    ("14:30", "The slot starts at 14:30."),
    ("00:15", "Departure at 12:15 am."),
    ("2026-12-7", "Book it for December 7, 2026."),  # a day without its leading zero
    ("2025-10", "Rent for 12 months starting from October 2025."),
    ("2026-03", "The invoices of Mar. 2026, please."),
    ("2026-03", "Sales in March, 2026 by region."),
    # days listed under one month (the 1.5B model's instruction, 2026-12-01)
    ("2026-06-25", "The forecasts for Sunday and Monday, June 24 and 25, 2026."),
    ("2026-06-25", "Deliveries on June 23, 24 or 25, 2026."),
    ("2026-06-25", "Deliveries on the 24th and 25th of June 2026."),
]
NOT_STATED = [
    ("GBP", "Convert 5,000 US dollars to euros."),  # another currency
    ("CAD", "Split a budget of $10,000 between two shares."),  # $ alone is the US dollar
    ("EUR", "Plan a two-week trip around Europe."),  # "euro" inside a word
    ("USD", "Buy 40 USDT on the exchange."),  # a code inside a longer code
    ("ABC", "The ABC Hotel in Denver."),  # not a currency: verbatim only, which is not this check
    ("2023-10-01", "A two-day trip to Denver in December."),
    ("2026-10-15", "Book it for October 16, 2026."),
    ("Denver", "A trip to Denver."),  # written as itself: a verbatim match, not another form
    ("09:00", "Your appointment is confirmed for 9:00 PM."),
    ("14:30", "The slot is 2:30 AM."),
    ("09:00", "It takes 9 minutes."),
    ("09:00", "Gate 9, terminal 2."),
    ("2025-10", "Rent for 12 months starting from October 2024."),  # another year
    ("2025-10", "Rent for 12 months starting in October."),  # no year: a month alone is a guess
    ("2025-10", "Rent from November 2025."),  # another month
    ("2025-13", "Month 13 of 2025."),  # not a month
    ("2026-06-25", "June 24 and 25 rooms, 2026."),  # 25 rooms, not a day
    ("2026-06-25", "On June 24, 2026 and 25 more days."),
    ("2026-06-26", "The forecasts for June 24 and 25, 2026."),  # a day not listed
]


@pytest.mark.parametrize(("value", "text"), STATED)
def test_stated_in_another_form(value: str, text: str) -> None:
    assert written_in_other_form(value, text)


@pytest.mark.parametrize(("value", "text"), NOT_STATED)
def test_not_stated_in_another_form(value: str, text: str) -> None:
    assert not written_in_other_form(value, text)
