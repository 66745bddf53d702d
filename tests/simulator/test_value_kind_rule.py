"""A parameter fed from an earlier result holds the kind of value its name says: cases a
careful reader decided.

The 1.5B model fed ``start_date`` from ``price_eur`` (synthesis run of 2026-12-01); the
task passed every other rule, yet its plan expects a call no assistant should make. Names
say little in general ("check_in" from "arrival_date" is right), so only names that plainly
say a date or time, an amount of money, a place or a temperature are judged, and only when
the two say different ones.
"""

from __future__ import annotations

import pytest

from simulator.synthesis.functions import FunctionBuilder
from simulator.synthesis.stage_context import Dropped
from simulator.synthesis.value_kinds import of_another_kind
from tests.simulator.test_synth_rules import form, param, two_steps

# (parameter, the result field that feeds it)
SAME_KIND_OR_UNSAID = [
    ("check_in", "arrival_date"),  # "check in" says no kind
    ("city", "destination"),
    ("budget", "price_eur"),
    ("start_date", "departure_time"),  # a day and a time are both "when"
    ("prices", "price"),
    ("address", "location"),
    ("order_id", "tracking_number"),
    ("date", "best_day"),
    ("amount", "total_price"),  # an amount may be of anything
    ("monthly_rent", "rent"),
    ("price_date", "start_date"),  # one of its kinds agrees
]
ANOTHER_KIND = [
    ("start_date", "price_eur"),  # the 1.5B model's, 2026-12-01
    ("city", "delivery_date"),
    ("price", "departure_time"),
    ("location", "temperature_celsius"),
    ("deadline", "cheapest_fare"),
]


@pytest.mark.parametrize(("parameter", "field"), SAME_KIND_OR_UNSAID)
def test_a_parameter_fed_a_value_of_its_kind_or_of_no_said_kind_is_kept(parameter: str, field: str) -> None:
    assert not of_another_kind(parameter, field)


@pytest.mark.parametrize(("parameter", "field"), ANOTHER_KIND)
def test_a_parameter_fed_a_value_of_another_kind_is_refused(parameter: str, field: str) -> None:
    assert of_another_kind(parameter, field)


def test_the_function_stage_drops_a_start_date_fed_from_a_price() -> None:
    first = "Get the price in euros of the Louvre guided tour."
    later = "Book the tour starting on the day after that."
    item = two_steps(first, later, "A tourist plans a week in Paris.")
    builder = FunctionBuilder(item)
    tour = [param("tour", "string", value="Louvre guided tour")]
    builder.add(item["subtasks"][0], form("get_price", tour, ["price_eur", "next_date"]))
    with pytest.raises(Dropped, match="fed a result of another kind") as refused:
        builder.add(
            item["subtasks"][1],
            form("book_tour", [param("start_date", "number", source="s1.price_eur")], ["booking"]),
        )
    assert refused.value.detail == "book_tour: 'start_date' is fed s1.price_eur"
    builder.add(
        item["subtasks"][1],
        form("book_tour", [param("start_date", "number", source="s1.next_date")], ["booking"]),
    )
