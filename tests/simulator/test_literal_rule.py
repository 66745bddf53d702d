"""Whether the task states a function's literal argument: cases a careful reader decided.

A function may take a currency's code or an ISO date where the user wrote words,
a count the user spelled out ("a two-night stay"), or a list of things the user
named one by one. A number is stated only as a whole number of the text, not as
a digit inside another ("2" is not in "2026-12-05").
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator.synthesis.functions import literal
from simulator.synthesis.stage_context import Dropped

LITERAL_STATED = [
    ("string", "USD", "Convert 5,000 US dollars to euros.", "USD"),
    ("string", "2026-12-05", "Check flights from Chicago to Denver on December 5, 2026.", "2026-12-05"),
    ("string", "denver", "Check flights from Chicago to Denver on December 5.", "denver"),
    ("number", "5000", "Convert 5,000 US dollars to euros.", 5000.0),
    ("integer", "2", "A hotel for 2 nights.", 2),
    # no year: the plan keeps the date as the user says it, which any year agrees with
    # (``harness.score.normalise.dates_agree``)
    ("string", "2026-12-05", "Check flights from Chicago to Denver on December 5.", "December 5"),
    ("string", "2023-06-24", "The forecast for Algonquin Park on Sunday, June 24th.", "June 24th"),
    ("string", "2026-12-7", "Move the stay to December 7th.", "December 7th"),  # the 1.5B model's date
    # drops of a synthesis run, 2026-12
    ("integer", "2", "Book a two-night stay at the Four Seasons Hotel in Denver.", 2),
    (
        "string",
        "Paris, New York",
        "Express shipping options in Paris and New York by 2026-10-10.",
        "Paris, New York",
    ),
    ("integer", "3", "He wants to ship three parcels of books.", 3),
    (
        "string",
        "'Thursday', 'Friday'",
        "Delivery on Thursday, May 20th, and Friday, May 21st.",
        "Thursday, Friday",  # without the quotes the model put in
    ),
    ("number", "1200", "Convert $1,200 USD into euros.", 1200.0),
    ("number", "87.95", "Meal prep worth $87.95.", 87.95),
    # dates the model writes as one value, one after another
    (
        "string",
        "2026-05-20 2026-05-21",
        "Delivery on Thursday, May 20th, and Friday, May 21st.",
        "May 20th, May 21st",  # no year: each as the user says it
    ),
    ("string", "2026-05-20 2026-05-21", "Delivery on 2026-05-20 or 2026-05-21.", "2026-05-20, 2026-05-21"),
    ("string", "2026-05-20, 2026-05-21", "Delivery on May 20th and May 21st.", "May 20th, May 21st"),
    # a day listed under its month, the year added by the model (synthesis run of 2026-12-01)
    ("string", "2023-06-25", "The forecasts for Sunday and Monday, June 24 and 25.", "June 25"),
    ("string", "June 25", "The forecasts for Sunday and Monday, June 24 and 25.", "June 25"),
    ("string", "June 24th", "The forecast for Sunday, June 24.", "June 24"),  # as the task writes it
]
LITERAL_NOT_STATED = [
    ("string", "GBP", "Convert 5,000 US dollars to euros."),
    ("string", "2023-10-01", "Find a hotel in Denver for the two days of the workshop in December."),
    ("string", "2026-12-05", "Check flights from Chicago to Denver on December 5, 2025."),  # another year
    ("string", "2026-12-05", "Flights on December 5, 2025, back on December 5."),  # the year is 2025
    ("number", "4200", "Convert 5,000 US dollars to euros."),
    ("integer", "2", "Check flights from Chicago to Denver on 2026-12-05."),  # a digit of a date
    ("integer", "20", "Order 200 glass jars."),
    ("integer", "4", "Book a two-night stay."),
    ("string", "Paris, London", "Express shipping options in Paris and New York."),
    ("string", "2026-05-20 2026-05-22", "Delivery on May 20th and May 21st."),  # one day not said
    ("string", "2026-05-20 2026-05-21", "Delivery on May 20, 2025 and May 21, 2025."),  # another year
    ("string", "New York Paris", "Express shipping options in Paris and New York."),  # no list of names
    ("string", "June 26", "The forecasts for Sunday and Monday, June 24 and 25."),
    ("string", "June 25, 2026", "The forecasts for June 24 and 25, 2025."),  # another year
]


@pytest.mark.parametrize(("kind", "value", "text", "typed"), LITERAL_STATED)
def test_a_literal_the_task_states_in_any_written_form_is_kept(
    kind: str, value: str, text: str, typed: Any
) -> None:
    assert literal(kind, value, text) == typed


@pytest.mark.parametrize(("kind", "value", "text"), LITERAL_NOT_STATED)
def test_a_literal_the_task_does_not_state_is_dropped(kind: str, value: str, text: str) -> None:
    with pytest.raises(Dropped, match="argument not in task"):
        literal(kind, value, text)
