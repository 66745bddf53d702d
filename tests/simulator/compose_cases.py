"""Composed tasks with the verdict a careful reader gives (stage 5, compositional verification).

A composition is complete when an assistant could do every step from what the
steps state and what earlier steps return, without asking the user anything.
What a step is asked to find out (which day is drier, which apartment is
cheaper) is its job, not a missing detail. Written before the verifier's prompt
was changed: the 1.5B model dropped three compositions of a synthesis run for
"missing" the very thing their last step decides, or a supplier the step named.
Every first step here is complete: stage 3 verified it as an atomic task.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.simulator.atomic_cases import BAKERY, BUGS, DESIGNER, FLAT, HIKING, PARCELS, TRIP


@dataclass(frozen=True)
class ComposeCase:
    scenario: str
    steps: list[tuple[str, list[str]]]  # (instruction, the ids of the steps it uses), as s1, s2, ...
    complete: bool


CASES = [
    ComposeCase(
        TRIP,
        [
            ("Find the cheapest flight from Chicago to Denver on 2026-12-07.", []),
            ("Book a hotel in Denver for 2 nights from the arrival date of that flight.", ["s1"]),
        ],
        True,
    ),
    ComposeCase(
        BAKERY,
        [
            ("Order 10 kg of flour from Supplier A on the Wednesday of this week.", []),
            (
                "Check the delivery date of that order from Supplier A and also order 10 kg of flour "
                "from Supplier B on the Friday of this week.",
                ["s1"],
            ),
        ],
        True,
    ),
    ComposeCase(
        HIKING,
        [
            ("Get the weather forecast for Algonquin Park on 2026-06-20.", []),
            ("Get the weather forecast for Algonquin Park on 2026-06-21.", []),
            ("Pick the drier of the two days for the hike.", ["s1", "s2"]),
        ],
        True,
    ),
    ComposeCase(
        DESIGNER,
        [
            ("Convert 5,000 US dollars to euros.", []),
            ("Create an invoice to Acme Inc. for that amount in euros.", ["s1"]),
        ],
        True,
    ),
    ComposeCase(
        FLAT,
        [
            ("Get the monthly rent of the apartment at Calle de Alcala 40 in Madrid.", []),
            ("Get the monthly rent of the apartment at Calle de la Princesa 12 in Madrid.", []),
            ("Work out which of the two costs less over 12 months.", ["s1", "s2"]),
        ],
        True,
    ),
    ComposeCase(
        PARCELS,
        [
            ("Get shipping quotes for 3 parcels of books, 5 kg each, from Lyon to Montreal.", []),
            ("Book a pickup in Lyon on 2026-07-15 with the cheapest of those carriers.", ["s1"]),
        ],
        True,
    ),
    ComposeCase(
        TRIP,
        [
            ("Find the cheapest flight from Chicago to Denver on 2026-12-07.", []),
            ("Email the flight details to my assistant.", ["s1"]),
        ],
        False,  # which address
    ),
    ComposeCase(
        FLAT,
        [
            ("Get the monthly rent of the apartment at Calle de Alcala 40 in Madrid.", []),
            ("Compare it with the rent of the other apartment.", ["s1"]),
        ],
        False,  # which other apartment
    ),
    ComposeCase(
        BUGS,
        [
            ("List the open bugs before the release.", []),
            ("Assign the most severe of them to a developer.", ["s1"]),
        ],
        False,  # which project; which developer
    ),
    ComposeCase(
        PARCELS,
        [
            ("Get shipping quotes for 3 parcels of books from Lyon to Montreal.", []),
            ("Book a pickup with the cheapest carrier on a day that suits him.", ["s1"]),
        ],
        False,  # which day
    ),
    # four the 1.5B model composed in one synthesis run, its verifier's reason in the comment
    ComposeCase(
        BAKERY,
        [
            ("Order 10 kg of flour from supplier A by 2026-04-15.", []),
            ("Check the delivery dates for 10 kg of flour from supplier B by 2026-04-15.", ["s1"]),
        ],
        True,  # "which supplier"
    ),
    ComposeCase(
        HIKING,
        [
            ("Get the weather forecast for Algonquin Park on Sunday, June 24.", []),
            ("Get the weather forecast for Algonquin Park on Monday, June 25.", []),
            ("Compare the two forecasts to decide which day is better for hiking.", ["s1", "s2"]),
        ],
        True,  # "which day is better for hiking"
    ),
    ComposeCase(
        BAKERY,
        [
            ("Check which flour suppliers offer delivery on Thursday, May 20th, 2026.", []),
            ("Check which flour suppliers offer delivery on Friday, May 21st, 2026.", []),
            ("Order the flour that offers delivery on whichever day is closest to May 20th.", ["s1", "s2"]),
        ],
        False,  # how much flour ("which supplier")
    ),
    ComposeCase(
        DESIGNER,
        [
            (
                "Check if there are any upcoming deadlines for the invoice on the 20th of June 2026 in Berlin.",
                [],
            ),
            (
                "Contact the client in the United States to confirm the deadline for the invoice, and then "
                "convert the amount from US dollars to euros.",
                ["s1"],
            ),
        ],
        False,  # which client, which amount ("which supplier")
    ),
]
