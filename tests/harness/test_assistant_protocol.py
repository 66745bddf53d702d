"""``--assistant-protocol button``: a model that answers in BUTTON's <call>/<final> text, through
the real loop and a real MCP server; the requests it gets are the format ``button export`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import read_records
from harness.export import button_format
from harness.export.clean_conversation import conversation_of
from harness.run.assistant_protocol import AssistantProtocol
from harness.run.conversation import LoopSettings
from harness.score.metrics import score_trajectory
from tests.conftest import TASKS_FILE
from tests.harness.conftest import TOOLS_COMMAND
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    assistant_turns,
    is_user_request,
    opening,
    say,
    user_turn,
)
from tests.harness.test_run_loop import converse, roles, script

BUTTON_MODE = LoopSettings(max_turns=6, protocol=AssistantProtocol.BUTTON)


def calls_text(*calls: tuple[str, dict[str, Any]]) -> str:
    """``<call>`` as ``button export`` writes it."""
    return (
        "<call>" + json.dumps([{"name": n, "arguments": a} for n, a in calls], ensure_ascii=False) + "</call>"
    )


def last_tool_turn(body: dict[str, Any]) -> list[dict[str, Any]]:
    turn = body["messages"][-1]
    assert turn["role"] == "tool" and set(turn) == {"role", "content"}  # BUTTON's tool turn: no call id
    found: list[dict[str, Any]] = json.loads(turn["content"])
    return found


async def test_calls_and_final_in_text_run_as_tool_calls_and_are_recorded_in_openai_form(
    tools_url: str,
) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        assert "tools" not in body and "tool_choice" not in body  # the tools are in the system prompt
        turn = assistant_turns(body)
        if turn == 0:
            first = calls_text(
                ("slow_add", {"a": 1, "b": 2, "delay_s": 0}), ("get_weather", {"city": "Lisbon"})
            )
            return say("I will add first and check the weather.\n" + first)
        if turn == 1:
            total = last_tool_turn(body)[0]["results"]["sum"]
            return say(calls_text(("slow_add", {"a": total, "b": 10, "delay_s": 0})))
        total = last_tool_turn(body)[0]["results"]["sum"]
        return say(f"<final>The sums are 3 and {total}.</final>")

    trajectory, server = await converse(script(assistant), tools_url, settings=BUTTON_MODE)

    assert trajectory.status == TrajectoryStatus.COMPLETED, trajectory.error
    assert roles(trajectory) == ["user", "assistant", "tool", "tool", "assistant", "tool", "assistant", "user"]  # fmt: skip
    first = trajectory.messages[1]
    assert first["content"] == "I will add first and check the weather."
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in first["tool_calls"]] == [
        ("slow_add", {"a": 1, "b": 2, "delay_s": 0}),
        ("get_weather", {"city": "Lisbon"}),
    ]
    assert [m["tool_call_id"] for m in trajectory.messages[2:4]] == [c["id"] for c in first["tool_calls"]]
    assert json.loads(trajectory.messages[5]["content"])["sum"] == 13  # the second call used the first result
    assert trajectory.messages[6] == {"role": "assistant", "content": "The sums are 3 and 13."}
    assert trajectory.meta[6].raw == "<final>The sums are 3 and 13.</final>"
    assert all(m.error is None for m in trajectory.meta)

    requests = [body for body in server.requests if not is_user_request(body)]
    system = requests[0]["messages"][0]
    assert system["role"] == "system" and "<tool>" in system["content"] and '"slow_add"' in system["content"]
    # the results reached the model as BUTTON's tool turn: name, arguments and results of each call
    results = last_tool_turn(requests[1])
    assert [(r["name"], r["arguments"]) for r in results] == [
        ("slow_add", {"a": 1, "b": 2, "delay_s": 0}),
        ("get_weather", {"city": "Lisbon"}),
    ]
    assert results[0]["results"]["sum"] == 3 and results[1]["results"]["city"] == "Lisbon"
    # what the model saw last is the BUTTON export of the recorded trajectory, up to its final answer
    exported = button_format.encode(conversation_of(trajectory.messages), trajectory.tools)
    assert not button_format.check(exported)
    assert requests[-1]["messages"] == exported["messages"][:-1]
    assert exported["messages"][-1]["content"] == trajectory.meta[6].raw


async def test_a_malformed_call_is_an_invalid_call_answered_with_an_error(tools_url: str) -> None:
    def assistant(body: dict[str, Any]) -> Reply:
        turn = assistant_turns(body)
        if turn == 0:
            return say('<call>[{"name": "slow_add", "arguments": {"a": 1,</call>')
        if turn == 1:
            return say('<call>[{"arguments": {"city": "Oslo"}}]</call>')
        return say("<final>I could not make the calls.</final>")

    trajectory, server = await converse(script(assistant), tools_url, settings=BUTTON_MODE)

    assert trajectory.status == TrajectoryStatus.COMPLETED, trajectory.error
    assert roles(trajectory) == ["user", "assistant", "tool", "assistant", "tool", "assistant", "user"]
    broken, nameless = trajectory.messages[1]["tool_calls"], trajectory.messages[3]["tool_calls"]
    assert broken[0]["function"] == {
        "name": "slow_add",
        "arguments": '[{"name": "slow_add", "arguments": {"a": 1,',
    }
    assert (trajectory.meta[1].error or "").startswith("malformed <call>: not JSON")
    assert nameless[0]["function"] == {"name": "", "arguments": '{"city": "Oslo"}'}
    assert trajectory.meta[3].error == "malformed <call>: call 1 needs a name and arguments"
    assert broken[0]["id"] != nameless[0]["id"]
    assert "not valid JSON" in (trajectory.meta[2].error or "")
    assert "unknown tool ''" in (trajectory.meta[4].error or "")
    # the model was told: the error came back as the results of its call
    requests = [body for body in server.requests if not is_user_request(body)]
    told = last_tool_turn(requests[1])[0]
    assert told["name"] == "slow_add" and told["results"].startswith("error: the arguments of 'slow_add'")
    score = score_trajectory(trajectory, None)
    assert score.metrics["validity"] == 0.0 and score.metrics["tool_calls"] == 2


def scripted_cli(body: dict[str, Any]) -> Reply:
    if is_user_request(body):
        return (
            user_turn("What is the weather in Denver?", stop=False)
            if opening(body)
            else user_turn("Thanks.", True)
        )
    if body["messages"][-1]["role"] != "tool":
        return say(calls_text(("get_weather", {"city": "Denver"})))
    return say(f"<final>Denver: {last_tool_turn(body)[0]['results']['temperature_c']} C.</final>")


def test_button_run_with_the_button_protocol_then_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "runs" / "bp"
    with ScriptedOpenAI(scripted_cli) as server:
        for key, value in server.env("assistant", "user").items():
            monkeypatch.setenv(key, value)
        code = main(
            [
                *("run", str(TASKS_FILE), "--out", str(out), "--task", "travel.flight_then_hotel"),
                *("--mcp-command", TOOLS_COMMAND, "--allow-missing-tools", "--assistant-protocol", "button"),
            ]
        )
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["assistant_protocol"] == "button"
    assert manifest["settings"]["system_prompt"] is None  # BUTTON's own prompt, no default one after it
    [trajectory] = read_records(out / "trajectories.jsonl", Trajectory)
    assert [m["role"] for m in trajectory.messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert trajectory.messages[3]["content"] == "Denver: 18 C."
    exported = tmp_path / "b.jsonl"
    assert main(["export", str(out), "--format", "button", "--out", str(exported)]) == 0
    record = json.loads(exported.read_text())
    assistant_requests = [body for body in server.requests if not is_user_request(body)]
    assert assistant_requests[-1]["messages"] == record["messages"][:-1]


def test_tool_choice_is_refused_with_a_text_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            *("run", str(TASKS_FILE), "--out", str(tmp_path / "r")),
            *("--assistant-protocol", "button", "--tool-choice", "required"),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "error: --tool-choice: applies to the native protocol only, not --assistant-protocol button"
    )
