"""The conversation loop against scripted model endpoints and a real MCP server over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from button.data_model.task import Strategy, Task
from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.errors import ToolServerError
from button.llm.client import open_models
from button.llm.endpoints import DEFAULT_RETRIES, EndpointConfig, Role
from harness.run.conversation import LoopSettings, run_conversation
from harness.run.mcp_tools import ToolConnections, ToolSource
from simulator.user_simulator import STOP_REFUSED, UserSimulator
from tests.harness.conftest import TOOLS_COMMAND
from tests.harness.scripted_openai import (
    Reply,
    Responder,
    ScriptedOpenAI,
    assistant_turns,
    call,
    is_user_request,
    opening,
    say,
    tool_results,
    user_turn,
)

TASK = Task(
    id="math.add_twice",
    strategy=Strategy.SEQUENTIAL,
    scenario="A student checks some sums.",
    instruction="Add 1 and 2, then add 10 to the result, and tell me both sums.",
)


def polite_user(body: dict[str, Any]) -> Reply:
    """Asks once, then stops as soon as it hears back."""
    return (
        user_turn("Please add 1 and 2, then add 10.", stop=False)
        if opening(body)
        else user_turn("Thanks!", True)
    )


def script(assistant: Responder, user: Responder = polite_user) -> Responder:
    return lambda body: user(body) if is_user_request(body) else assistant(body)


async def converse(
    responder: Responder, tools_url: str, *, max_turns: int = 6, settings: LoopSettings | None = None
) -> tuple[Trajectory, ScriptedOpenAI]:
    with ScriptedOpenAI(responder) as server:
        configs = [
            EndpointConfig(role, base_url=server.base_url, model="scripted")
            for role in (Role.ASSISTANT, Role.USER)
        ]
        async with (
            open_models(configs) as models,
            ToolConnections() as connections,
            connections.session(ToolSource(url=tools_url), TASK.id, "run/ep#0") as tools,
        ):
            trajectory = await run_conversation(
                TASK,
                0,
                "run",
                assistant=models[Role.ASSISTANT],
                user=UserSimulator(models[Role.USER], TASK),
                tools=tools,
                settings=settings or LoopSettings(max_turns=max_turns),
                endpoints={},
            )
    Trajectory.model_validate_json(trajectory.model_dump_json())  # it round-trips
    return trajectory, server


def roles(trajectory: Trajectory) -> list[str]:
    return [message["role"] for message in trajectory.messages]


async def test_parallel_calls_run_concurrently_and_answer_in_call_order(tools_url: str) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        if assistant_turns(body) == 0:
            return call(
                ("slow_add", {"a": 1, "b": 2}),
                ("get_weather", {"city": "Lisbon"}),
                ("slow_add", {"a": 3, "b": 4}),
            )
        return say("The sums are 3 and 7; Lisbon is 18 C.")

    trajectory, _ = await converse(script(assistant), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED, trajectory.error
    assert roles(trajectory) == ["user", "assistant", "tool", "tool", "tool", "assistant", "user"]
    calls = trajectory.messages[1]["tool_calls"]
    answers = trajectory.messages[2:5]
    assert [a["tool_call_id"] for a in answers] == [c["id"] for c in calls]
    results = [json.loads(a["content"]) for a in answers]
    assert results[0]["sum"] == 3 and results[1]["city"] == "Lisbon" and results[2]["sum"] == 7
    assert max(results[0]["started"], results[2]["started"]) < min(results[0]["ended"], results[2]["ended"])
    assert {r["episode_id"] for r in results} == {"run/ep#0"}  # sent as _meta with each call
    assert [m.source for m in trajectory.meta] == [
        "user_simulator", "assistant", "tool_server", "tool_server", "tool_server", "assistant", "user_simulator"
    ]  # fmt: skip
    assert all(m.latency_s > 0 and m.wall_time > 0 for m in trajectory.meta)
    assert trajectory.usage["tool"].total_tokens == 45  # 3 results x 15 tokens from the result _meta
    assert trajectory.usage["assistant"].requests == 2 and trajectory.usage["user"].requests == 2
    assert [t["function"]["name"] for t in trajectory.tools] == [
        "get_weather", "slow_add", "always_fails", "broken_count", "exit_server"
    ]  # fmt: skip


async def test_sequential_calls_use_earlier_results(tools_url: str) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        results = tool_results(body)
        if not results:
            return call(("slow_add", {"a": 1, "b": 2, "delay_s": 0}))
        if len(results) == 1:
            return call(("slow_add", {"a": json.loads(results[0])["sum"], "b": 10, "delay_s": 0}))
        return say(f"3, then {json.loads(results[1])['sum']}.")

    trajectory, _ = await converse(script(assistant), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED
    assert roles(trajectory) == ["user", "assistant", "tool", "assistant", "tool", "assistant", "user"]
    assert json.loads(trajectory.messages[4]["content"])["sum"] == 13
    assert trajectory.messages[5]["content"] == "3, then 13."


async def test_invalid_calls_are_answered_with_errors_and_recorded(tools_url: str) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        if assistant_turns(body) == 0:
            return call(
                ("slow_add", '{"a": 1, "b":'),
                ("no_such_tool", {}),
                ("always_fails", {"reason": "closed"}),
                ("slow_add", {"a": "one", "b": 2}),
                ("get_weather", {"city": "Oslo"}),
            )
        return say("Some calls failed; Oslo is 12 C.")

    trajectory, _ = await converse(script(assistant), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED
    tool_meta = [m for m in trajectory.meta if m.source == "tool_server"]
    contents = [m["content"] for m in trajectory.messages if m["role"] == "tool"]
    assert len(contents) == 5
    assert "not valid JSON" in (tool_meta[0].error or "") and contents[0].startswith("error:")
    assert "unknown tool 'no_such_tool'" in (tool_meta[1].error or "")
    assert tool_meta[2].error == "refused: closed"
    assert "valid integer" in (tool_meta[3].error or "")  # the server's own validation error
    assert tool_meta[4].error is None and json.loads(contents[4])["city"] == "Oslo"


async def test_empty_messages_are_turns_and_an_early_stop_is_refused(tools_url: str) -> None:
    trajectory, _ = await converse(
        script(lambda body: Reply(content=None), user=lambda body: user_turn("Bye.", stop=True)),
        tools_url,
        max_turns=3,
    )

    assert trajectory.status == TrajectoryStatus.MAX_TURNS
    # the user has its say after the last turn (a stop there would complete the conversation)
    assert roles(trajectory) == ["user", "assistant"] * 3 + ["user"]
    assert [m["content"] for m in trajectory.messages if m["role"] == "assistant"] == ["", "", ""]
    assert [m.error for m in trajectory.meta if m.source == "user_simulator"] == [STOP_REFUSED] * 4


async def test_max_turns_stops_a_runaway(tools_url: str) -> None:
    trajectory, _ = await converse(
        script(lambda body: call(("get_weather", {"city": "Rome"}))), tools_url, max_turns=4
    )

    assert trajectory.status == TrajectoryStatus.MAX_TURNS
    assert roles(trajectory).count("assistant") == 4 and roles(trajectory)[-1] == "tool"


async def test_the_user_stops_once_answered_and_bad_user_output_is_asked_again(tools_url: str) -> None:
    asked = {"bad": 0}

    def user(body: dict[str, Any]) -> Reply:
        if opening(body):
            return user_turn("What is 1 + 2?", stop=False)
        asked["bad"] += 1
        if asked["bad"] == 1:
            return Reply(content='{"message": "Great')  # malformed JSON
        if asked["bad"] == 2:
            return user_turn("   ", stop=False)  # empty
        return user_turn("Great, thanks.", stop=True)

    trajectory, _ = await converse(script(lambda body: say("It is 3."), user=user), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED
    assert roles(trajectory) == ["user", "assistant", "user"]
    assert trajectory.messages[-1]["content"] == "Great, thanks."
    assert trajectory.meta[-1].error == "1 empty or off-task message(s) asked for again"
    assert trajectory.meta[-1].usage is not None and trajectory.meta[-1].usage.requests == 3


async def test_server_errors_are_retried_then_succeed(tools_url: str) -> None:
    failures = {"left": 2}

    def assistant(body: dict[str, Any]) -> Reply:
        if failures["left"]:
            failures["left"] -= 1
            return Reply(status=500)
        return say("It is 3.")

    started = time.monotonic()
    trajectory, server = await converse(script(assistant), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED
    assert sum(not is_user_request(body) for body in server.requests) == 3  # two 500s, then the answer
    assert time.monotonic() - started < 10


async def test_an_endpoint_that_keeps_failing_ends_the_trajectory_with_an_error(tools_url: str) -> None:
    trajectory, server = await converse(script(lambda body: Reply(status=503)), tools_url)

    assert trajectory.status == TrajectoryStatus.ERROR
    assert "HTTP 503" in (trajectory.error or "")
    assert sum(not is_user_request(body) for body in server.requests) == 1 + DEFAULT_RETRIES
    assert roles(trajectory) == ["user"]  # what happened before the failure is kept


async def test_a_result_that_breaks_the_output_schema_is_a_tool_error(tools_url: str) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        if assistant_turns(body) == 0:
            return call(("broken_count", {"item": "apple"}), ("get_weather", {"city": "Oslo"}))
        return say("The count failed; Oslo is 12 C.")

    trajectory, _ = await converse(script(assistant), tools_url)

    assert trajectory.status == TrajectoryStatus.COMPLETED, trajectory.error
    tool_meta = [m for m in trajectory.meta if m.source == "tool_server"]
    assert "breaks the tool's output schema" in (tool_meta[0].error or "")
    assert "'many apples' is not of type 'integer'" in (tool_meta[0].error or "")
    assert tool_meta[1].error is None  # the server still answers the next call


async def test_a_server_that_dies_mid_call_is_a_tool_server_error() -> None:
    async with (
        ToolConnections() as connections,
        connections.session(ToolSource(command=TOOLS_COMMAND), TASK.id, "run/ep#0") as tools,
    ):
        with pytest.raises(ToolServerError, match="call of 'exit_server' failed"):
            await tools.call({"id": "c1", "function": {"name": "exit_server", "arguments": "{}"}})
