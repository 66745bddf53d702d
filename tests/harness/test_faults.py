"""Fault injection: ``button run`` against a scripted endpoint that misbehaves in every way
an endpoint can. Each conversation is recorded exactly once with a sensible status and
reason, the run goes on, and the exit code states the outcome."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, call, is_user_request, say, user_turn

TASKS = load_tasks(TASKS_FILE)
HANG_S = 2.5  # longer than the --assistant-timeout the run is given

# the assistant's first answer in the conversation about each task, in task file order,
# and what the conversation must end with: (status, a piece of its error)
ERROR = TrajectoryStatus.ERROR
FAULTS: list[tuple[str, Reply, TrajectoryStatus, str | None]] = [
    ("healthy", call(("get_weather", {"city": "Oslo"})), TrajectoryStatus.COMPLETED, None),
    ("empty body", Reply(raw=b""), ERROR, "HTTP 200 with an empty body"),
    (
        "HTML page",
        Reply(raw=b"<html><b>502</b></html>", content_type="text/html"),
        ERROR,
        "not JSON (text/html",
    ),
    ("not JSON", Reply(raw=b"{'choices': oops"), ERROR, "with a body that is not JSON"),
    ("no choices", Reply(raw=b'{"id": "x", "choices": []}'), ERROR, "not a chat completion: choices"),
    ("bad tool-call JSON", call(("get_weather", "{city: Oslo")), TrajectoryStatus.COMPLETED, None),
    ("unknown tool", call(("launch_rockets", {"count": 3})), TrajectoryStatus.COMPLETED, None),
    ("hang", Reply(hang_s=HANG_S), ERROR, "no answer within 1 s (1 try)"),
    ("lone surrogate", say("Oslo is 12 \ud800C."), TrajectoryStatus.COMPLETED, None),
    ("dropped connection", Reply(drop=True), ERROR, "cannot reach the endpoint"),
]
assert len(FAULTS) == len(TASKS)
FAULT_OF = {task.instruction: fault for task, fault in zip(TASKS, FAULTS, strict=True)}


def instruction_in(body: dict[str, Any]) -> str:
    """The task instruction a request is about (the user states it word for word)."""
    text = " ".join(str(message.get("content") or "") for message in body["messages"])
    return next(instruction for instruction in FAULT_OF if instruction in text)


def misbehaving(body: dict[str, Any]) -> Reply:
    if is_user_request(body):
        if not any(m["role"] == "user" and "conversation so far" in m["content"] for m in body["messages"]):
            return user_turn(instruction_in(body), stop=False)
        return user_turn("Thanks.", stop=True)
    if any(m["role"] in {"assistant", "tool"} for m in body["messages"]):
        return say("Done: here is what I found.")
    return FAULT_OF[instruction_in(body)][1]


def button_run(
    server: ScriptedOpenAI, out: Path, tools_url: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.env("assistant", "user")}
    return subprocess.run(
        [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--mcp-url", tools_url, "--concurrency", "4",
         "--assistant-timeout", "1", "--assistant-retries", "0", "--allow-missing-tools", *extra],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_every_fault_is_one_conversations_error_and_the_run_goes_on(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "faults"
    with ScriptedOpenAI(misbehaving) as server:
        started = time.monotonic()
        run = button_run(server, out, tools_url, "--max-error-rate", "0.6")
        assert time.monotonic() - started < 120
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    recorded = read_records(out / "trajectories.jsonl", Trajectory)
    assert sorted(t.task_id for t in recorded) == sorted(task.id for task in TASKS)  # each exactly once
    by_task = {t.task_id: t for t in recorded}
    for task, (name, _, status, reason) in zip(TASKS, FAULTS, strict=True):
        trajectory = by_task[task.id]
        assert trajectory.status == status, (name, trajectory.error)
        if reason is None:
            assert trajectory.error is None, name
        else:
            assert reason in (trajectory.error or ""), (name, trajectory.error)
            assert trajectory.error and "\n" not in trajectory.error
    surrogate = by_task[TASKS[8].id].messages
    assert "Oslo is 12 \ufffdC." in [m.get("content") for m in surrogate]
    tool_errors = [m for m in by_task[TASKS[5].id].meta if m.error]
    assert tool_errors, "the invalid tool-call JSON is answered with an error result"


def test_too_many_failures_exit_1_with_a_summary(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "faults"
    with ScriptedOpenAI(misbehaving) as server:
        run = button_run(server, out, tools_url, "--max-error-rate", "0.2")
    recorded = read_records(out / "trajectories.jsonl", Trajectory)
    assert sum(t.status == TrajectoryStatus.ERROR for t in recorded) == 6, "\n".join(
        f"{t.task_id} {t.status} {t.error}" for t in recorded
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"error: {out}: 6 of 10 conversations ended in an error (more than --max-error-rate 0.2); first: "
    )
    assert "Traceback" not in run.stderr
    assert len(read_records(out / "trajectories.jsonl", Trajectory)) == 10


def test_when_every_conversation_fails_the_run_exits_1(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "broken"
    with ScriptedOpenAI(
        lambda body: misbehaving(body) if is_user_request(body) else Reply(raw=b"")
    ) as server:
        run = button_run(server, out, tools_url, "--task", TASKS[0].id, "--task", TASKS[1].id)
    assert run.returncode == 1
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: {out}: 2 of 2 conversations ended in an error (all); first: ")
    )


@pytest.mark.parametrize("status", [429, 503])
def test_transient_failures_are_retried_on_every_call_the_format_probe_included(
    status: int, tmp_path: Path, tools_url: str
) -> None:
    """Every request fails once before it succeeds (the structured-output probe of each
    conversation's first user turn among them): with retries, every conversation completes."""
    seen: set[str] = set()

    def flaky(body: dict[str, Any]) -> Reply:
        key = repr(body["messages"]) + repr(body.get("response_format"))
        if key not in seen:
            seen.add(key)
            return Reply(status=status)
        return misbehaving(body) if is_user_request(body) else say("Done.")

    out = tmp_path / "flaky"
    with ScriptedOpenAI(flaky) as server:
        run = button_run(
            server, out, tools_url, "--assistant-retries", "2", "--task", TASKS[0].id, "--trials", "3"
        )
    assert run.returncode == 0, run.stderr
    recorded = read_records(out / "trajectories.jsonl", Trajectory)
    assert [t.status for t in recorded] == [TrajectoryStatus.COMPLETED] * 3, [t.error for t in recorded]


def test_a_dead_endpoint_is_refused_before_any_conversation(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "dead"
    with ScriptedOpenAI(misbehaving) as server:
        env = {**os.environ, **server.env("user"), "BUTTON_ASSISTANT_BASE_URL": "http://127.0.0.1:9/v1",
               "BUTTON_ASSISTANT_MODEL": "m"}  # fmt: skip
        run = subprocess.run(
            [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--mcp-url", tools_url, "--allow-missing-tools"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert server.requests == []
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: --assistant-base-url: assistant model 'm' at http://127.0.0.1:9/v1: cannot reach"
    )
    assert not (out / "trajectories.jsonl").exists()
