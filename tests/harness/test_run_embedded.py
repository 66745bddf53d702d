"""``button run`` end to end on the embedded model: fixture tasks served in-process over MCP."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from tests.conftest import BUTTON, TASKS_FILE, TINY_MODEL

TASK_IDS = ["travel.flight_then_hotel", "finance.two_share_prices_then_split"]


@pytest.mark.model
def test_the_embedded_assistant_runs_two_fixture_tasks_over_mcp(
    tmp_path: Path, model_env: dict[str, str]
) -> None:
    out = tmp_path / "runs" / "embedded"
    command = [
        BUTTON,
        "run",
        str(TASKS_FILE),
        "--out",
        str(out),
        "--max-turns",
        "2",
        "--assistant-max-tokens",
        "96",
        # one conversation at a time: the tiny model's answers depend on the order in which
        # requests reach its one server, and a fixed order keeps this test about the plumbing
        # (concurrency is tested on the scripted server)
        "--concurrency",
        "1",
    ]
    for task_id in TASK_IDS:
        command += ["--task", task_id]
    done = subprocess.run(command, env=model_env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr
    trajectories = {t.task_id: t for t in read_records(out / "trajectories.jsonl", Trajectory)}
    assert sorted(trajectories) == sorted(TASK_IDS)
    tasks = {task.id: task for task in load_tasks(TASKS_FILE, only=TASK_IDS)}
    for task_id, trajectory in trajectories.items():
        assert trajectory.status in {TrajectoryStatus.COMPLETED, TrajectoryStatus.MAX_TURNS}, trajectory.error
        # the tools came from the in-process MCP server's list_tools: the task's functions
        offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in trajectory.tools}
        assert offered == {spec.name: spec.function.parameters for spec in tasks[task_id].functions}
        assert trajectory.messages[0]["role"] == "system" and trajectory.meta[0].source == "system"
        assert trajectory.messages[1]["role"] == "user" and trajectory.messages[1]["content"].strip()
        assert trajectory.meta[1].source == "user_simulator"
        assert any(message["role"] == "assistant" for message in trajectory.messages)
        assert {"assistant", "user"} <= set(trajectory.usage)
        assert trajectory.endpoints["tool"].model == TINY_MODEL
        for index, message in enumerate(trajectory.messages):  # every call answered, in call order
            calls = message.get("tool_calls") or []
            answers = trajectory.messages[index + 1 : index + 1 + len(calls)]
            assert [a.get("tool_call_id") for a in answers] == [c["id"] for c in calls]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["tools"] == {"served": "in-process"}
    assert (out / "sim_cache.sqlite").exists()
    # the summary counts what was written (it prints a row for every status, even at 0)
    printed = {
        found.group(1): int(found.group(2))
        for found in re.finditer(r"^\W*(completed|max_turns|error)\W+(\d+)\W*$", done.stdout, re.MULTILINE)
    }
    written = Counter(t.status.value for t in trajectories.values())
    assert printed == {status.value: written[status.value] for status in TrajectoryStatus}
