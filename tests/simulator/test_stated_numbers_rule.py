"""A step's call carries every number the step states: cases a careful reader decided.

The 1.5B model designed ``convert_usd_to_local`` for "Convert $1,200 USD into
local currency" and called it with the currency alone; it fed "the delivery dates
for 10 kg of flour" an order id in place of the 10. Such a task passes every
other rule, yet its plan expects a call that loses what the user said. A "one"
("one night") and a number word after "the" ("the two apartments") are no values.
"""

from __future__ import annotations

import pytest

from simulator.synthesis.functions import FunctionBuilder
from simulator.synthesis.rows import InstructedComposition
from simulator.synthesis.stage_context import Dropped
from tests.simulator.test_synth_rules import form, param, two_steps

FIRST = "Find the cheapest flight from Chicago to Denver on 2026-12-07."

# (the step, the parameters of its call)
CARRIES_EVERY_NUMBER = [
    ("Get the rent of Calle Mayor 12.", [param("address", "string", value="Calle Mayor 12")]),
    (  # "the two": the apartments the earlier steps found, not a value
        "Book a viewing of the cheaper of the two apartments on 2026-12-01.",
        [param("date", "string", value="2026-12-01")],
    ),
    ("Compare the three quotes in euros and pick the cheapest.", [param("currency", "string", value="EUR")]),
    (
        "Get a quote for one night at the Four Seasons Hotel.",
        [param("hotel", "string", value="Four Seasons Hotel")],
    ),
    (
        "Get the weather forecast for Algonquin Park on Sunday, June 24.",
        [param("park", "string", value="Algonquin Park"), param("date", "string", value="2026-06-24")],
    ),
    (
        "Book a two-night stay at the Four Seasons Hotel in Denver on December 7th.",
        [
            param("hotel", "string", value="Four Seasons Hotel"),
            param("city", "string", value="Denver"),
            param("nights", "integer", value="2"),
            param("check_in", "string", value="December 7th"),
        ],
    ),
    (
        "Convert $1,200 USD into euros.",
        [param("amount", "number", value="1200"), param("currency", "string", "task", "USD")],
    ),
    (
        "Check the monthly rent of Apartment A at Calle Complutense 22, Madrid, in 2026-04.",
        [
            param("address", "string", value="Calle Complutense 22, Madrid"),
            param("month", "string", value="2026-04"),
        ],
    ),
]

LEAVES_A_NUMBER_OUT = [  # (the step, its call's parameters, the numbers left out)
    ("Convert $1,200 USD into local currency.", [param("currency_code", "string", value="USD")], "1200"),
    (
        "Check the delivery dates for 10 kg of flour from supplier B by 2026-04-15.",
        [param("supplier", "string", value="supplier B"), param("by_date", "string", value="2026-04-15")],
        "10",
    ),
    (
        "Check the monthly rent of Apartment B at Calle Complutense 23, Madrid, in 2026-04.",
        [param("city", "string", value="Madrid"), param("month", "string", value="2026-04")],
        "23",
    ),
    ("Search for 5 open bugs in the product backlog.", [param("backlog", "string", value="product")], "5"),
    ("Ship three parcels of books to Montreal.", [param("city", "string", value="Montreal")], "3"),
]


def composition(step: str) -> InstructedComposition:
    return {
        "scenario_id": "sc0",
        "scenario": "A consultant plans a trip.",
        "strategy": "sequential",
        "instruction": step,
        "subtasks": [{"id": "s1", "instruction": step, "depends_on": []}],
    }


@pytest.mark.parametrize(("step", "params"), CARRIES_EVERY_NUMBER)
def test_a_call_that_carries_every_number_its_step_states_is_kept(
    step: str, params: list[dict[str, str]]
) -> None:
    item = composition(step)
    FunctionBuilder(item).add(item["subtasks"][0], form("do_step", params, ["result"]))


@pytest.mark.parametrize(("step", "params", "left_out"), LEAVES_A_NUMBER_OUT)
def test_a_call_that_leaves_out_a_number_its_step_states_is_dropped(
    step: str, params: list[dict[str, str]], left_out: str
) -> None:
    item = composition(step)
    with pytest.raises(Dropped, match="a number the step states") as refused:
        FunctionBuilder(item).add(item["subtasks"][0], form("do_step", params, ["result"]))
    assert refused.value.detail == f"do_step is not given {left_out}, which s1 states"


def test_a_later_step_carries_its_own_numbers_beside_an_earlier_result() -> None:
    later = "Book a hotel in Denver for 2 nights from the arrival date of that flight."
    item = two_steps(FIRST, later)
    builder = FunctionBuilder(item)
    flight = form(
        "find_flight",
        [
            param("origin", "string", value="Chicago"),
            param("destination", "string", value="Denver"),
            param("date", "string", value="2026-12-07"),
        ],
        ["arrival_date"],
    )
    builder.add(item["subtasks"][0], flight)
    arrival = param("check_in", "string", source="s1.arrival_date")
    with pytest.raises(Dropped, match="a number the step states"):
        builder.add(
            item["subtasks"][1],
            form("book_hotel", [param("city", "string", value="Denver"), arrival], ["id"]),
        )
    nights = param("nights", "integer", value="2")
    builder.add(
        item["subtasks"][1],
        form("book_hotel", [param("city", "string", value="Denver"), arrival, nights], ["id"]),
    )
