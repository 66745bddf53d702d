"""When the composition verifier's "still unknown" stands: cases a careful reader decided.

The 1.5B verifier names as unknown things the step itself names ("which
supplier" for "... from supplier B"), or what the step is there to decide
("which day is better for hiking"); in one synthesis run 3 of its 5 such
verdicts were of that kind, and 4 of the 5 copied the prompt's example. A thing
named only as "a developer" or "the other apartment" is not a particular one, so
it stays unknown.
"""

from __future__ import annotations

import pytest

from simulator.synthesis.compose_verify import named_by_steps

FORECASTS = [
    "Get the weather forecast for Algonquin Park on Sunday, June 24.",
    "Get the weather forecast for Algonquin Park on Monday, June 25.",
]

NAMED = [  # (what the model called unknown, the step, the steps whose results it uses)
    ("which supplier", "Check the delivery dates for 10 kg of flour from supplier B by 2026-04-15.", []),
    (
        "which day is better for hiking",
        "Compare the two forecasts to decide which day is better for hiking.",
        FORECASTS,
    ),
    (
        "which day is better for hiking and watching the weather",
        "Compare the two forecasts to decide which day is better for hiking and watching the weather.",
        FORECASTS,
    ),
    (
        "which supplier",
        "Order the flour that offers delivery on whichever day is closest to May 20th.",
        ["Check which flour suppliers offer delivery on Thursday, May 20th, 2026."],
    ),
    ("the carriers", "Book a pickup in Lyon on 2026-07-15 with the cheapest of those carriers.", []),
]

STILL_UNKNOWN = [
    (
        "which supplier",
        "Contact the client in the United States to confirm the deadline for the invoice, and then convert "
        "the amount from US dollars to euros.",
        ["Check if there are any upcoming deadlines for the invoice on the 20th of June 2026 in Berlin."],
    ),
    (
        "which developer",
        "Assign the most severe of them to a developer.",
        ["List the open bugs before the release."],
    ),
    ("which senior developer", "Assign the bug to a senior developer.", []),
    ("the assistant's email address", "Email the flight details to my assistant.", []),
    ("which other apartment", "Compare it with the rent of the other apartment.", []),
    ("which hotel", "Book a hotel in Denver for 2 nights from the arrival date.", []),
    ("when", "Book a pickup with the cheapest carrier.", []),  # no word to look for
    ("which supplier", "Order 10 kg of flour.", []),
]


@pytest.mark.parametrize(("unknown", "step", "sources"), NAMED)
def test_what_the_step_or_its_sources_name_is_not_unknown(
    unknown: str, step: str, sources: list[str]
) -> None:
    assert named_by_steps(unknown, [step, *sources])


@pytest.mark.parametrize(("unknown", "step", "sources"), STILL_UNKNOWN)
def test_what_no_step_names_as_a_particular_thing_stays_unknown(
    unknown: str, step: str, sources: list[str]
) -> None:
    assert not named_by_steps(unknown, [step, *sources])
