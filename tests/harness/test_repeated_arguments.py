"""An assistant's tool call whose arguments give a key twice is an invalid call: answered
with an error and recorded, never sent to the tool server, scored invalid; the run goes on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from harness.score.calls import actual_calls
from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)

TASK = load_tasks(TASKS_FILE)[0]
REPEATED = '{"city": "Oslo", "city": "Rome"}'
REFUSAL = "the arguments of 'get_weather' are ambiguous: key 'city' is given twice"


def assistant(body: dict[str, Any]) -> Reply:
    if is_user_request(body):
        return user_turn("What is the weather?", stop=False) if opening(body) else user_turn("Thanks.", True)
    results = [m for m in body["messages"] if m["role"] == "tool"]
    if not results:
        return call(("get_weather", REPEATED))
    if len(results) == 1:
        return call(("get_weather", {"city": "Oslo"}))  # corrected
    return say("It is mild in Oslo.")


def test_a_repeated_key_in_a_models_arguments_is_an_invalid_call_recorded_as_such(
    tmp_path: Path, tools_url: str
) -> None:
    out = tmp_path / "run"
    with ScriptedOpenAI(assistant) as server:
        run = subprocess.run(
            [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--task", TASK.id,
             "--mcp-url", tools_url, "--allow-missing-tools"],
            env={**os.environ, **server.env("assistant", "user")}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    [trajectory] = read_records(out / "trajectories.jsonl", Trajectory)
    assert trajectory.status == TrajectoryStatus.COMPLETED
    tool_messages = [
        (m, meta) for m, meta in zip(trajectory.messages, trajectory.meta, strict=True) if m["role"] == "tool"
    ]
    (refused, refused_meta), (answered, answered_meta) = tool_messages
    assert refused["content"] == f"error: {REFUSAL}" and refused_meta.error == REFUSAL
    assert refused_meta.usage is None  # never reached the server, whose results carry a usage
    assert answered_meta.error is None and '"city":"Oslo"' in answered["content"]

    first, second = actual_calls(trajectory, TASK)
    assert first.raw_arguments == REPEATED  # recorded as the model sent it
    assert first.problem == "(arguments): key 'city' is given twice"
    assert second.problem is None
