"""The user simulator's opening: it must state the task's details, or the task is stated for it."""

from __future__ import annotations

from typing import Any

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from simulator.user_simulator import UserSimulator, UserTurn, task_details
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, user_turn

FINANCE = load_tasks(TASKS_FILE, only=["finance.two_share_prices_then_split"])[0]


def test_task_details_are_the_plans_literal_values() -> None:
    assert task_details(FINANCE) == ["AAPL", "NASDAQ", "MSFT", "10000"]


async def opening_with(replies: list[str]) -> UserTurn:
    asked = iter(replies)

    def respond(body: dict[str, Any]) -> Reply:
        return user_turn(next(asked), stop=False)

    with ScriptedOpenAI(respond) as server:
        model = ModelClient(EndpointConfig(Role.USER, server.base_url, "scripted"), server.base_url)
        return await UserSimulator(model, FINANCE).next_turn([])


async def test_an_opening_that_states_the_details_is_kept() -> None:
    text = "Could you check the AAPL and MSFT prices on NASDAQ and split $10,000 between them?"
    turn = await opening_with([text])
    assert (turn.message, turn.note, turn.usage.requests) == (text, None, 1)


async def test_an_off_task_opening_is_asked_again() -> None:
    good = "Prices for AAPL and MSFT please, then split 10000 dollars."
    turn = await opening_with(["Hello! I have a question about AI.", good])
    assert turn.message == good
    assert turn.note == "1 empty or off-task message(s) asked for again"
    assert turn.usage.requests == 2


async def test_openings_that_never_state_the_task_fall_back_to_its_instruction() -> None:
    turn = await opening_with(["Hello!", "I have a question.", "Tell me about stocks."])
    assert turn.message == FINANCE.instruction and turn.stop is False
    assert turn.note == "opening is the task instruction: 3 model openings left out AAPL, NASDAQ, MSFT, 10000"
    assert turn.usage.requests == 3
