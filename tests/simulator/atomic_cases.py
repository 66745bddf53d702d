"""Atomic requests with the verdict a careful reader gives (stage 3, atomic verification).

An atomic task is kept when one function call can do all of it and it names
every detail that call needs; it is dropped when it needs two calls or more,
or when the assistant would have to ask back first. Written before the
verifier was tuned: the 1.5B model dropped "Convert 5,000 US dollars to
euros." as needing more than one call.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.synthesis.stage_context import DropReason


@dataclass(frozen=True)
class AtomicCase:
    scenario: str
    request: str
    dropped: DropReason | None  # None: kept


HIKING = (
    "A family of four in Toronto is planning a weekend of hiking in Algonquin Park and watching the weather."
)
BAKERY = "The owner of a small bakery in Leeds is ordering flour and checking this week's delivery dates from two suppliers."
TRIP = "A consultant based in Chicago is arranging her own trip to a two-day client workshop in Denver in December."
DESIGNER = "A freelance designer in Berlin is invoicing a client in the United States and converting the amount to euros."
PARCELS = "A retired teacher in Lyon wants to ship three parcels of books to his grandchildren in Montreal."
BUGS = "A software team lead in Bangalore is triaging open bugs before a release on Friday."
RUNNER = (
    "A runner in Boston is preparing for the city marathon and planning meals around her training schedule."
)
FLAT = "A graduate student in Madrid is comparing the monthly cost of two apartments near the Complutense University."

ONE = DropReason.MORE_THAN_ONE_CALL
ASK = DropReason.DETAILS_MISSING

CASES = [
    AtomicCase(HIKING, "Check the weather forecast for Algonquin Park on Saturday, June 18.", None),
    AtomicCase(DESIGNER, "Convert 5,000 US dollars to euros.", None),
    AtomicCase(BAKERY, "Order 10 kg of flour from Supplier A for delivery on 2026-03-18.", None),
    AtomicCase(BAKERY, "Check when Supplier B can deliver flour to 14 Briggate, Leeds this week.", None),
    AtomicCase(TRIP, "Find the cheapest nonstop flight from Chicago O'Hare to Denver on 2026-12-08.", None),
    AtomicCase(
        PARCELS, "Get a quote for shipping 3 parcels of books, 5 kg each, from Lyon to Montreal.", None
    ),
    AtomicCase(BUGS, "List the open bugs labelled release-blocker in the payments-api repository.", None),
    AtomicCase(RUNNER, "Book a table for 4 at Trattoria Roma in Boston at 19:00 on 2026-04-12.", None),
    AtomicCase(
        TRIP,
        "Book the Hotel Teatro in Denver for 2026-12-08 and then email the confirmation to my assistant.",
        ONE,
    ),
    AtomicCase(
        TRIP,
        "Find the cheapest flight from Chicago to Denver on 2026-12-08 and book a hotel near the airport for two nights.",
        ONE,
    ),
    AtomicCase(DESIGNER, "Convert 4,200 US dollars to euros and send the invoice to billing@acme.com.", ONE),
    AtomicCase(FLAT, "Calculate the monthly cost of the apartment.", ASK),
    AtomicCase(TRIP, "Book a flight to Denver.", ASK),
    AtomicCase(PARCELS, "Send the parcel to my grandson in Montreal.", ASK),
]
