"""``button run`` as a subprocess: external MCP servers, recording, resume, refusal, SIGKILL,
SIGTERM, two runs on one directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import iter_lines, read_records
from button.validation.taskfile import load_tasks
from harness.run.run_command import DEFAULT_SYSTEM_PROMPT
from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.conftest import TOOLS_COMMAND
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)

TWO_TASKS = ["--task", "travel.flight_then_hotel", "--task", "finance.two_share_prices_then_split"]
SECRET = "sk-secret-never-recorded"
DEFAULT_PROMPT = DEFAULT_SYSTEM_PROMPT.read_text(encoding="utf-8")  # what `button run` sends the assistant
INSTRUCTIONS = {task.id: task.instruction for task in load_tasks(TASKS_FILE)}


def scripted(body: dict[str, Any]) -> Reply:
    """Any task: the user asks, the assistant checks the weather once and answers, the user stops."""
    if is_user_request(body):
        return (
            user_turn("Can you help me with my task?", stop=False)
            if opening(body)
            else user_turn("Thanks.", True)
        )
    if not any(m["role"] == "tool" for m in body["messages"]):
        return call(("get_weather", {"city": "Denver"}))
    return say("Done: it is sunny in Denver.")


def button_run(server: ScriptedOpenAI, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.env("assistant", "user"), "OPENAI_API_KEY": SECRET}
    return subprocess.run(
        [BUTTON, "run", str(TASKS_FILE), "--out", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_run_with_an_external_stdio_server_records_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "ext"
    args = [*TWO_TASKS, "--trials", "2", "--mcp-command", TOOLS_COMMAND, "--allow-missing-tools"]
    with ScriptedOpenAI(scripted) as server:
        first = button_run(server, out, *args)
        assert first.returncode == 0, first.stderr
        trajectories = read_records(out / "trajectories.jsonl", Trajectory)
        assert sorted(t.id for t in trajectories) == [
            "finance.two_share_prices_then_split#0", "finance.two_share_prices_then_split#1",
            "travel.flight_then_hotel#0", "travel.flight_then_hotel#1",
        ]  # fmt: skip
        assert {t.status for t in trajectories} == {TrajectoryStatus.COMPLETED}
        one = trajectories[0]
        roles = [m["role"] for m in one.messages]
        assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
        # the default system prompt comes first, recorded as sent, then the user's opening
        assert one.messages[0]["content"] == DEFAULT_PROMPT and one.meta[0].source == "system"
        # then the user's opening: the scripted "Can you help me with my task?" leaves out the plan's
        # details, so the simulator falls back to the task's instruction
        assert one.messages[1] == {"role": "user", "content": INSTRUCTIONS[one.task_id]}
        assistant_requests = [body for body in server.requests if not is_user_request(body)]
        assert assistant_requests and all(
            body["messages"][0] == {"role": "system", "content": DEFAULT_PROMPT}
            for body in assistant_requests
        )
        result = json.loads(one.messages[3]["content"])
        assert result["episode_id"] == f"ext/{one.id}"  # one episode per conversation, named in _meta
        assert set(one.usage) == {"assistant", "user", "tool"}
        assert one.endpoints["mcp"].base_url == f"stdio: {TOOLS_COMMAND}"
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["tasks_file"] == str(TASKS_FILE)
        assert manifest["settings"]["tools"]["command"] == TOOLS_COMMAND
        assert manifest["settings"]["system_prompt"] == DEFAULT_PROMPT
        assert "tool" not in manifest["settings"]["endpoints"]  # no tool model with an external server
        assert SECRET not in (out / "manifest.json").read_text() + (out / "trajectories.jsonl").read_text()
        assert "completed" in first.stdout and f"button score {out}" in first.stdout

        requests = len(server.requests)
        again = button_run(server, out, *args)
        assert again.returncode == 0, again.stderr
        assert len(server.requests) == requests  # nothing left to do
        assert len(read_records(out / "trajectories.jsonl", Trajectory)) == 4

        changed = button_run(server, out, *args, "--max-turns", "3")
        assert changed.returncode == 2
        assert "settings.max_turns: 10 -> 3" in changed.stderr and "--force-new" in changed.stderr
        assert "Traceback" not in changed.stderr

        fresh = button_run(
            server,
            out,
            *args[:2],
            "--mcp-command",
            TOOLS_COMMAND,
            "--allow-missing-tools",
            "--max-turns",
            "3",
            "--force-new",
        )
        assert fresh.returncode == 0, fresh.stderr
        assert len(read_records(out / "trajectories.jsonl", Trajectory)) == 1
        (aside,) = out.glob("superseded-*")
        assert len(read_records(aside / "trajectories.jsonl", Trajectory)) == 4


def test_errors_are_recorded_and_retried_on_request(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "flaky"
    down = {"yes": True}

    def flaky(body: dict[str, Any]) -> Reply:
        return Reply(status=503) if down["yes"] and not is_user_request(body) else scripted(body)

    with ScriptedOpenAI(flaky) as server:
        first = button_run(server, out, *TWO_TASKS, "--mcp-url", tools_url, "--allow-missing-tools")
        assert first.returncode == 1  # every conversation failed: the run says so
        assert "2 of 2 conversations ended in an error" in first.stderr
        statuses = [t.status for t in read_records(out / "trajectories.jsonl", Trajectory)]
        assert statuses == [TrajectoryStatus.ERROR] * 2
        down["yes"] = False
        retried = button_run(
            server, out, *TWO_TASKS, "--mcp-url", tools_url, "--allow-missing-tools", "--retry-errors"
        )
        assert retried.returncode == 0, retried.stderr
        statuses = [t.status for t in read_records(out / "trajectories.jsonl", Trajectory)]
        assert statuses == [TrajectoryStatus.COMPLETED] * 2
    # not a terminal (a batch job's log): a line a finished conversation, none of a live bar
    progress = [line for line in first.stderr.splitlines() if line.startswith("conversations ")]
    assert [line.split(":")[0] for line in progress] == ["conversations 1/2", "conversations 2/2"]
    assert all(" error; " in line and "elapsed" in line for line in progress)
    assert "━" not in first.stderr
    assert sum(line.startswith("conversations ") for line in retried.stderr.splitlines()) == 2


def test_bad_input_is_reported_without_a_traceback(tmp_path: Path) -> None:
    with ScriptedOpenAI(scripted) as server:
        missing = button_run(
            server, tmp_path / "x", "--task", "no.such.task", "--mcp-url", "http://127.0.0.1:9/mcp"
        )
        zero = button_run(server, tmp_path / "x", "--concurrency", "0", "--mcp-url", "http://127.0.0.1:9/mcp")
    assert missing.returncode == 2 and "no task with id 'no.such.task'" in missing.stderr
    assert zero.returncode == 2 and "error: --concurrency: must be at least 1" in zero.stderr
    assert "Traceback" not in missing.stderr + zero.stderr


def test_a_killed_run_loses_nothing_finished_and_duplicates_nothing(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "killed"
    wanted = {
        f"{json.loads(line)['id']}#{trial}"
        for line in TASKS_FILE.read_text().splitlines()
        for trial in range(3)
    }
    command = [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--trials", "3", "--concurrency", "3"]
    command += ["--mcp-url", tools_url, "--allow-missing-tools"]
    with ScriptedOpenAI(scripted, latency_s=0.05) as server:
        env = {**os.environ, **server.env("assistant", "user")}
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = out / "trajectories.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not path.exists() or path.read_text().count("\n") < 8):
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = [value["id"] for _, value, _ in iter_lines(path) if value is not None]
        assert 8 <= len(before) < len(wanted)

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr

    records = read_records(path, Trajectory)  # every line parses
    after = [t.id for t in records]
    for trajectory in records:  # one shared connection, yet each conversation its own episode
        assert trajectory.messages[0] == {"role": "system", "content": DEFAULT_PROMPT}
        assert json.loads(trajectory.messages[3]["content"])["episode_id"] == f"killed/{trajectory.id}"
    assert len(after) == len(set(after)) == len(wanted)
    assert set(after) == wanted and set(before) <= set(after)


def test_two_runs_on_one_directory_exactly_one_runs(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "both"
    command = [
        BUTTON,
        "run",
        str(TASKS_FILE),
        "--out",
        str(out),
        "--mcp-url",
        tools_url,
        "--allow-missing-tools",
    ]
    command += ["--concurrency", "2"]  # with the latency, a run lasts seconds: longer than a start-up
    with ScriptedOpenAI(scripted, latency_s=0.1) as server:
        env = {**os.environ, **server.env("assistant", "user")}
        processes = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=300) for process in processes]
    codes = [process.returncode for process in processes]
    assert sorted(codes) == [0, 2], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    stderr = outputs[loser][1]
    assert f"error: {out}: another button run is using this directory (pid {processes[winner].pid})" in stderr
    assert "Traceback" not in stderr
    ids = [t.id for t in read_records(out / "trajectories.jsonl", Trajectory)]
    assert len(ids) == len(set(ids)) == len(TASKS_FILE.read_text().splitlines())


def test_sigterm_stops_a_run_cleanly_and_a_rerun_finishes_it(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "terminated"
    command = [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--trials", "2", "--concurrency", "2"]
    command += ["--mcp-url", tools_url, "--allow-missing-tools"]
    path = out / "trajectories.jsonl"
    with ScriptedOpenAI(scripted, latency_s=0.05) as server:
        env = {**os.environ, **server.env("assistant", "user")}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not path.exists() or path.read_text().count("\n") < 4):
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 143, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        text = path.read_text()
        assert text.endswith("\n")  # no torn line
        before = [t.id for t in read_records(path, Trajectory)]  # every line parses
        assert 4 <= len(before) < 2 * len(TASKS_FILE.read_text().splitlines())

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr

    after = [t.id for t in read_records(path, Trajectory)]
    assert len(after) == len(set(after)) == 2 * len(TASKS_FILE.read_text().splitlines())
    assert after[: len(before)] == before


def test_an_output_directory_that_cannot_be_made_is_named(
    capsys: pytest.CaptureFixture[str], tools_url: str
) -> None:
    command = ["run", str(TASKS_FILE), "--out", "/proc/x", "--mcp-url", tools_url, "--allow-missing-tools"]
    code = main(command)
    err = capsys.readouterr().err
    assert code == 2 and "error: /proc/x: cannot create: " in err and "Traceback" not in err
