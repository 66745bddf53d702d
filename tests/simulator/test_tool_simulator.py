"""The ToolSimulator against a scripted OpenAI-compatible HTTP server.

Deterministic tests of the simulator's own logic: argument validation, the
context it sends, bounded retries, the cache, episodes and repeated calls. The
real model is exercised through ``button serve`` in tests/mcp_servers.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from button.data_model.task import Task
from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from simulator.episodes import ToolCall
from simulator.sim_cache import SimCache
from simulator.tool_simulator import ToolSimulator
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

FINANCE = "finance.two_share_prices_then_split"
PRICE = {"ticker": "AAPL", "price": 191.5, "currency": "USD", "as_of": "2026-12-01"}


def called_ticker(body: dict[str, Any]) -> str:
    call = body["messages"][-1]["content"].rsplit("Call: ", 1)[1]
    ticker: str = json.loads(call.split("(", 1)[1].rstrip(")\n"))["ticker"]
    return ticker


def price_reply(body: dict[str, Any]) -> Reply:
    """A valid get_share_price result naming the ticker of the call."""
    return say(json.dumps({**PRICE, "ticker": called_ticker(body)}))


def client_for(server: ScriptedOpenAI) -> ModelClient:
    config = EndpointConfig(role=Role.TOOL, base_url=server.base_url, model=server.model, max_retries=0)
    return ModelClient(config, server.base_url)


@pytest.fixture(scope="module")
def finance() -> Task:
    return load_tasks(TASKS_FILE, only=[FINANCE])[0]


@pytest.fixture
def scripted() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI(price_reply) as server:
        yield server


async def test_bad_arguments_name_the_field_and_rule_without_a_model_call(
    finance: Task, scripted: ScriptedOpenAI
) -> None:
    simulator = ToolSimulator(finance, client_for(scripted))
    result = await simulator.call("get_share_price", {"ticker": "aapl"}, episode_id="e")
    assert (
        result.error
        == "invalid arguments for get_share_price: 'ticker': 'aapl' does not match '^[A-Z]{1,5}$'"
    )
    missing = await simulator.call("get_share_price", {}, episode_id="e")
    assert missing.error is not None and "'ticker' is a required property" in missing.error
    unknown = await simulator.call("sell_everything", {}, episode_id="e")
    assert unknown.error == "unknown tool 'sell_everything'"
    assert scripted.requests == []


async def test_a_placeholder_argument_is_refused_without_a_model_call(
    finance: Task, scripted: ScriptedOpenAI
) -> None:
    """``{"ticker": "<TICKER>"}`` fits the schema's type; it is still no value."""
    finance = finance.model_copy(deep=True)
    finance.function("get_share_price").function.parameters["properties"]["ticker"].pop("pattern")  # type: ignore[union-attr]
    simulator = ToolSimulator(finance, client_for(scripted))
    result = await simulator.call("get_share_price", {"ticker": "<TICKER>"}, episode_id="e")
    assert result.error == (
        "invalid arguments for get_share_price: 'ticker': '<TICKER>' is a placeholder, not a value:"
        " get the value first (call the function that returns it, or ask the user), then call again"
    )
    assert scripted.requests == []
    assert simulator.episode("e").history() == []


async def test_context_holds_scenario_step_and_earlier_results(
    finance: Task, scripted: ScriptedOpenAI
) -> None:
    simulator = ToolSimulator(finance, client_for(scripted))
    first = await simulator.call("get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"}, episode_id="e")
    second = await simulator.call("get_share_price", {"ticker": "MSFT", "exchange": "NASDAQ"}, episode_id="e")
    assert first.value["ticker"] == "AAPL" and second.value["ticker"] == "MSFT"
    system, user = scripted.requests[1]["messages"]
    assert system["role"] == "system" and "earlier results" in system["content"]
    text = user["content"]
    assert finance.scenario in text and finance.instruction in text
    # the function serves two subtasks: the MSFT call is paired with the MSFT one
    msft_step = finance.subtask_for("get_share_price", {"ticker": "MSFT", "exchange": "NASDAQ"})
    aapl_step = finance.subtask_for("get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"})
    assert msft_step is not None and aapl_step is not None and msft_step.id != aapl_step.id
    assert msft_step.instruction in text and aapl_step.instruction not in text
    assert '1. get_share_price({"exchange":"NASDAQ","ticker":"AAPL"}) -> {' in text
    assert '"price":191.5' in text
    assert "(none yet)" in scripted.requests[0]["messages"][1]["content"]


async def test_episodes_keep_separate_histories(finance: Task, scripted: ScriptedOpenAI) -> None:
    simulator = ToolSimulator(finance, client_for(scripted))
    await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="one")
    await simulator.call("get_share_price", {"ticker": "MSFT"}, episode_id="two")
    assert "(none yet)" in scripted.requests[1]["messages"][1]["content"]
    assert [c.arguments for c in simulator.episode("one").history()] == [{"ticker": "AAPL"}]
    assert [c.arguments for c in simulator.episode("two").history()] == [{"ticker": "MSFT"}]


async def test_repeated_call_in_an_episode_returns_the_earlier_result(
    finance: Task, scripted: ScriptedOpenAI
) -> None:
    simulator = ToolSimulator(finance, client_for(scripted))
    first = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
    again = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
    assert again.value == first.value and again.cache_hit and again.usage.requests == 0
    assert len(scripted.requests) == 1 and len(simulator.episode("e").history()) == 1


async def test_invalid_output_is_retried_then_accepted(finance: Task) -> None:
    replies = iter([say("not json at all"), say(json.dumps({"ticker": "AAPL"})), say(json.dumps(PRICE))])
    with ScriptedOpenAI(lambda body: next(replies)) as server:
        simulator = ToolSimulator(finance, client_for(server))
        result = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
    assert result.ok and result.value == PRICE
    assert result.usage.requests == 3 and result.usage.prompt_tokens > 0


async def test_output_that_never_validates_becomes_an_error_saying_why(finance: Task) -> None:
    with ScriptedOpenAI(lambda body: say(json.dumps({"ticker": "AAPL", "price": -1}))) as server:
        simulator = ToolSimulator(finance, client_for(server))
        result = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
        assert len(server.requests) == 3
    assert result.error is not None
    assert "no valid 'get_share_price' after 3 tries" in result.error and "required property" in result.error
    assert result.usage.requests == 3  # the failed tries still cost tokens
    assert simulator.episode("e").calls == []  # a failed call leaves no trace in the world


async def test_a_call_failing_beside_a_running_one_gives_up_only_its_own_place(finance: Task) -> None:
    def reply(body: dict[str, Any]) -> Reply:  # MSFT answers slowly; AAPL never validly
        if called_ticker(body) == "AAPL":
            return say("{}")
        time.sleep(0.3)
        return price_reply(body)

    with ScriptedOpenAI(reply) as server:
        simulator = ToolSimulator(finance, client_for(server))
        bad, good = await asyncio.gather(
            simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e"),
            simulator.call("get_share_price", {"ticker": "MSFT"}, episode_id="e"),
        )
    assert bad.error is not None and good.ok
    assert simulator.episode("e").calls == [ToolCall("get_share_price", {"ticker": "MSFT"}, good.value)]


async def test_a_cache_another_process_keeps_locked_only_costs_model_calls(
    finance: Task, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cache.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    cache = SimCache(path, busy_timeout_s=0.3)
    other.execute("BEGIN IMMEDIATE")
    try:
        with ScriptedOpenAI(price_reply) as server:
            simulator = ToolSimulator(finance, client_for(server), cache=cache)
            result = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
    finally:
        other.close()
    assert result.ok and result.value["ticker"] == "AAPL"
    assert "simulator cache write failed (the result is not kept)" in capsys.readouterr().err
    cache.close()


async def test_unreachable_model_becomes_an_error(finance: Task) -> None:
    with ScriptedOpenAI(lambda body: Reply(status=500)) as server:
        simulator = ToolSimulator(finance, client_for(server))
        result = await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="e")
    assert result.error is not None and result.error.startswith("the tool simulator's model failed: ")


async def test_warm_cache_answers_without_the_model(finance: Task, tmp_path: Path) -> None:
    calls = [("get_share_price", {"ticker": "AAPL"}), ("get_share_price", {"ticker": "MSFT"})]
    with ScriptedOpenAI(price_reply) as server:
        cache = SimCache(tmp_path / "cache.sqlite")
        simulator = ToolSimulator(finance, client_for(server), cache=cache)
        cold = [await simulator.call(name, args, episode_id="e") for name, args in calls]
        assert cache.stats() == {"hits": 0, "misses": 2}
        cache.close()
    # the server is gone: any model call would fail
    warm_cache = SimCache(tmp_path / "cache.sqlite")
    rerun = ToolSimulator(finance, client_for(server), cache=warm_cache)
    warm = [await rerun.call(name, args, episode_id="e") for name, args in calls]
    assert [w.value for w in warm] == [c.value for c in cold]
    assert all(w.cache_hit and w.usage.requests == 0 for w in warm)
    assert warm_cache.stats() == {"hits": 2, "misses": 0}


async def test_the_same_call_after_a_different_history_is_not_a_cache_hit(
    finance: Task, tmp_path: Path
) -> None:
    with ScriptedOpenAI(price_reply) as server:
        simulator = ToolSimulator(finance, client_for(server), cache=SimCache(tmp_path / "c.sqlite"))
        await simulator.call("get_share_price", {"ticker": "MSFT"}, episode_id="a")
        await simulator.call("get_share_price", {"ticker": "AAPL"}, episode_id="b")
        await simulator.call("get_share_price", {"ticker": "MSFT"}, episode_id="b")
        assert len(server.requests) == 3


async def test_non_object_returns_are_asked_wrapped_and_returned_bare(scripted: ScriptedOpenAI) -> None:
    task = Task.model_validate(
        {
            "id": "count",
            "strategy": "single",
            "scenario": "A shop.",
            "instruction": "How many?",
            "functions": [
                {
                    "type": "function",
                    "function": {"name": "count_items", "parameters": {"type": "object", "properties": {}}},
                    "returns": {"type": "integer", "minimum": 0},
                }
            ],
        }
    )
    with ScriptedOpenAI(lambda body: say('{"result": 7}')) as server:
        result = await ToolSimulator(task, client_for(server)).call("count_items", {}, episode_id="e")
        schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert result.value == 7
    assert schema["properties"]["result"] == {"type": "integer", "minimum": 0}
