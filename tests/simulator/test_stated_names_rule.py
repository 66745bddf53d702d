"""A first step's call carries every name its step states: cases a careful reader decided.

The 1.5B model designed ``get_weather_forecast`` for "Get the weather forecast for
Algonquin Park on Sunday, June 24" and called it with the date alone; it checked
"express shipping options in Paris" with no city (synthesis runs of 2026-12). The plans
expect calls that lose what the user said. A first step uses no earlier result, so a
name it states (a run of capitalized words inside a sentence) is a value its call needs.
A later step's names may only describe what an earlier result holds ("book the cheaper
of the flights to Denver" by its flight id), so they are not checked. Weekdays and
months are dates, which the number rule checks.
"""

from __future__ import annotations

import pytest

from simulator.synthesis.functions import FunctionBuilder
from simulator.synthesis.stage_context import Dropped
from tests.simulator.test_stated_numbers_rule import composition
from tests.simulator.test_synth_rules import form, param, two_steps

CARRIES_EVERY_NAME = [  # (the step, the parameters of its call)
    (
        "Get the weather forecast for Algonquin Park on Sunday, June 24.",
        [param("location", "string", value="Algonquin Park"), param("date", "string", value="June 24")],
    ),
    (
        "Check express shipping options in Paris by 2026-10-10.",
        [param("city", "string", value="Paris"), param("by_date", "string", value="2026-10-10")],
    ),
    (
        "Convert 5,000 US dollars to euros.",  # "US" is carried by the code USD
        [param("amount", "number", value="5000"), param("currency", "string", value="USD")],
    ),
    (
        "Order 10 kg of flour from Supplier A for delivery on 2026-03-18.",
        [
            param("supplier", "string", value="Supplier A"),
            param("kg", "number", value="10"),
            param("date", "string", value="2026-03-18"),
        ],
    ),
    (
        "Find the cheapest nonstop flight from Chicago O'Hare to Denver on 2026-12-08.",
        [
            param("origin", "string", value="Chicago O'Hare"),
            param("destination", "string", value="Denver"),
            param("date", "string", value="2026-12-08"),
        ],
    ),
    (  # a name that opens the sentence is not told from any opening word, so it is not checked
        "Paris hotels: find one near the Louvre for 2026-10-10.",
        [param("landmark", "string", value="Louvre"), param("date", "string", value="2026-10-10")],
    ),
]

LEAVES_A_NAME_OUT = [  # (the step, its call's parameters, the name left out)
    (
        "Get the weather forecast for Algonquin Park on Sunday, June 24.",
        [param("date", "string", value="June 24")],
        "Algonquin Park",
    ),
    (
        "Check if there are any express shipping options available in Paris by 2026-10-10.",
        [param("date", "string", value="2026-10-10")],
        "Paris",
    ),
    (
        "Find the cheapest nonstop flight from Chicago O'Hare to Denver on 2026-12-08.",
        [param("origin", "string", value="Chicago O'Hare"), param("date", "string", value="2026-12-08")],
        "Denver",
    ),
]


@pytest.mark.parametrize(("step", "params"), CARRIES_EVERY_NAME)
def test_a_first_call_that_carries_every_name_its_step_states_is_kept(
    step: str, params: list[dict[str, str]]
) -> None:
    item = composition(step)
    FunctionBuilder(item).add(item["subtasks"][0], form("do_step", params, ["result"]))


@pytest.mark.parametrize(("step", "params", "left_out"), LEAVES_A_NAME_OUT)
def test_a_first_call_that_leaves_out_a_name_its_step_states_is_dropped(
    step: str, params: list[dict[str, str]], left_out: str
) -> None:
    item = composition(step)
    with pytest.raises(Dropped, match="a name the step states is left out") as refused:
        FunctionBuilder(item).add(item["subtasks"][0], form("do_step", params, ["result"]))
    assert refused.value.detail == f"do_step is not given {left_out!r}, which s1 states"


def test_a_later_step_may_name_what_an_earlier_result_holds() -> None:
    first = "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08."
    item = two_steps(first, "Book that flight to Denver for Maria Lopez.")
    builder = FunctionBuilder(item)
    flight = [
        param("origin", "string", value="Chicago"),
        param("destination", "string", value="Denver"),
        param("date", "string", value="2026-12-08"),
    ]
    builder.add(item["subtasks"][0], form("find_flight", flight, ["flight_number"]))
    booking = [
        param("flight", "string", source="s1.flight_number"),
        param("name", "string", value="Maria Lopez"),
    ]
    builder.add(item["subtasks"][1], form("book_flight", booking, ["booking_number"]))
