"""A row's later try keeps the functions its earlier tries had accepted and asks only the
refused step again; a row that is done with starts afresh."""

from __future__ import annotations

from typing import Any, cast

import pytest

from button.llm.client import ModelClient
from simulator.synthesis.functions import synthesize_functions
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext
from tests.simulator.test_synth_rules import form, param, two_steps

ITEM = two_steps(
    "Find the cheapest flight from Chicago to Denver.", "Book a hotel in that city for 2 nights."
)
FLIGHT = form(
    "search_flights",
    [param("origin", "string", value="Chicago"), param("destination", "string", value="Denver")],
    ["flight_number"],
)
FLIGHT["returns"].append({"name": "arrival_city", "type": "string", "description": "where it lands"})
HOTEL = form(
    "book_hotel",
    [param("city", "string", "s1.arrival_city"), param("nights", "integer", value="2")],
    ["booking"],
)
HOTEL_WRONG_NIGHTS = form(
    "book_hotel",
    [param("city", "string", "s1.arrival_city"), param("nights", "integer", value="3")],
    ["booking"],
)


class ScriptedForms(SynthContext):
    """The real context's bookkeeping, with each step's answers taken in turn from a list."""

    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(client=cast(ModelClient, None), concurrency=1)
        self.answers = answers
        self.asked: list[str] = []  # the step each function prompt was for

    async def ask(self, row: str, prompt: str, schema: Any, *, check: bool = False, **values: str) -> Any:
        step = "s1" if values["task"].startswith("Find") else "s2"
        self.asked.append(step)
        answer = dict(self.answers[step].pop(0))
        if "needs_tool" in schema["properties"]:
            answer.setdefault("needs_tool", True)
        return answer


async def tries(ctx: ScriptedForms, count: int) -> list[Dropped | None]:
    """What each of ``count`` tries of one row came to (None: kept), as the stage runner runs them."""
    outcomes: list[Dropped | None] = []
    for attempt in range(count):
        ctx.start_attempt("sc0.a0.seq", attempt)
        try:
            await synthesize_functions(ctx, "sc0.a0.seq", ITEM)
        except Dropped as refused:
            outcomes.append(refused)
            continue
        outcomes.append(None)
        break
    return outcomes


async def test_a_refused_step_is_asked_again_and_the_accepted_one_is_kept() -> None:
    ctx = ScriptedForms({"s1": [FLIGHT], "s2": [HOTEL_WRONG_NIGHTS, HOTEL]})
    outcomes = await tries(ctx, 3)
    assert [o.reason if o else None for o in outcomes] == [DropReason.ARGUMENT_NOT_IN_TASK, None]
    assert ctx.asked == ["s1", "s2", "s2"]


async def test_a_step_that_said_it_needs_no_tool_is_asked_again_when_one_call_is_left() -> None:
    ctx = ScriptedForms({"s1": [FLIGHT], "s2": [{**HOTEL, "needs_tool": False}, HOTEL]})
    outcomes = await tries(ctx, 3)
    assert [o.reason if o else None for o in outcomes] == [DropReason.FEWER_THAN_TWO_CALLS, None]
    assert ctx.asked == ["s1", "s2", "s2"]


async def test_a_row_done_with_starts_afresh() -> None:
    ctx = ScriptedForms({"s1": [FLIGHT, FLIGHT], "s2": [HOTEL_WRONG_NIGHTS, HOTEL]})
    with pytest.raises(Dropped):
        await synthesize_functions(ctx, "sc0.a0.seq", ITEM)
    ctx.take_usage("sc0.a0.seq")  # the runner records the row: a rerun of it asks every step
    await synthesize_functions(ctx, "sc0.a0.seq", ITEM)
    assert ctx.asked == ["s1", "s2", "s1", "s2"]
