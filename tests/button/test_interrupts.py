"""SIGINT and SIGTERM end every kind of command with one line and 128 + the signal's number.

Each command is a real subprocess stopped in the middle of its work: ``button run`` and
``button serve`` (HTTP and stdio) while a tool call waits on the tool model, ``button
tasks validate`` (no event loop) in the middle of a large file, ``button replay`` in a
pseudo-terminal. Nothing finished is lost: a stopped run is finished by a rerun.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.embedded.model_server import free_port
from button.storage.records import read_records
from tests.conftest import BUTTON, FIXTURES, TASKS_FILE
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)

TASK = "travel.flight_then_hotel"
FLIGHT = {"origin": "ORD", "destination": "DEN", "departure_date": "2026-12-08"}
FOUND = {
    "flight_number": "UA 1432",
    "arrival": {"airport": "DEN", "city": "Denver", "date": "2026-12-08", "time": "10:05"},
    "price_usd": 189,
}
STOPS = [(signal.SIGTERM, 143), (signal.SIGINT, 130)]
PROGRESS = "conversations"  # the run's progress bar, drawn once when stderr is not a terminal


class SlowToolModel:
    """A scripted endpoint for every role; the tool model answers the first ``answered`` calls
    and then hangs, setting ``waiting`` so the test can stop the command mid-call."""

    def __init__(self, answered: int) -> None:
        self.answered = answered
        self.tool_calls = 0
        self.waiting = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        if is_user_request(body):
            return user_turn("Find me a flight.", stop=False) if opening(body) else user_turn("Thanks.", True)
        if body.get("response_format"):  # the tool simulator
            with self.lock:
                self.tool_calls += 1
                hang = self.tool_calls > self.answered
            if hang:
                self.waiting.set()
                return Reply(hang_s=30)
            return Reply(content=json.dumps(FOUND))
        if not any(m["role"] == "tool" for m in body["messages"]):
            return call(("search_flights", FLIGHT))
        return say("UA 1432 at $189.")


def lines_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def assert_one_stop_line(stderr: str, signum: int, *, besides: tuple[str, ...] = ()) -> None:
    """The only line (besides the command's own progress or summary) names the signal."""
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr
    lines = [line for line in lines_of(stderr) if not line.startswith(besides)]
    name = signal.Signals(signum).name
    assert lines == [f"interrupted by {name}: stopped cleanly; what was finished is kept"], stderr


@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_a_run_stopped_during_a_tool_call_exits_with_one_line_and_a_rerun_finishes_it(
    signum: int, code: int, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--task", TASK, "--trials", "2"]
    command += ["--concurrency", "1", "--no-cache", "--tool-timeout", "60"]
    model = SlowToolModel(answered=1)  # the first conversation's call is answered, the second's hangs
    with ScriptedOpenAI(model) as server:
        env = {**os.environ, **server.env("assistant", "user", "tool")}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert model.waiting.wait(60), "the tool call never reached the tool model"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == code, stderr
        assert_one_stop_line(stderr, signum, besides=(PROGRESS,))
        kept = read_records(out / "trajectories.jsonl", Trajectory)
        assert [(t.id, t.status) for t in kept] == [(f"{TASK}#0", TrajectoryStatus.COMPLETED)]

        model.answered = 10  # the tool model is back
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    after = read_records(out / "trajectories.jsonl", Trajectory)
    assert [t.id for t in after] == [f"{TASK}#0", f"{TASK}#1"]
    assert after[0] == kept[0]  # the finished conversation was kept as it was
    assert after[1].status == TrajectoryStatus.COMPLETED


@pytest.fixture
def slow_tool_model() -> Iterator[tuple[SlowToolModel, dict[str, str]]]:
    model = SlowToolModel(answered=0)
    with ScriptedOpenAI(model) as server:
        yield model, {**os.environ, **server.env("tool")}


async def _call_until_stopped(url: str) -> None:
    async with Client(url) as client:
        await client.call_tool_mcp("search_flights", FLIGHT)


@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_serve_over_http_stopped_during_a_tool_call_exits_with_one_line(
    signum: int, code: int, slow_tool_model: tuple[SlowToolModel, dict[str, str]]
) -> None:
    model, env = slow_tool_model
    port = free_port()
    command = [BUTTON, "serve", str(TASKS_FILE), "--transport", "http", "--port", str(port), "--no-cache"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("serving 10 task(s)")

    async def stop_mid_call() -> None:
        calling = asyncio.create_task(_call_until_stopped(f"http://127.0.0.1:{port}/tasks/{TASK}/mcp"))
        while not model.waiting.is_set():
            await asyncio.sleep(0.05)
        process.send_signal(signum)
        await asyncio.gather(calling, return_exceptions=True)  # the client sees its stream break

    asyncio.run(asyncio.wait_for(stop_mid_call(), 60))
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert_one_stop_line(stderr, signum)


def test_a_second_signal_while_serve_unwinds_ends_it_at_once(
    slow_tool_model: tuple[SlowToolModel, dict[str, str]],
) -> None:
    """The HTTP server gives an open call a grace period when it stops; a second SIGTERM
    in that period ends the process there and then, still with one line."""
    model, env = slow_tool_model
    port = free_port()
    command = [BUTTON, "serve", str(TASKS_FILE), "--transport", "http", "--port", str(port), "--no-cache"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()

    async def stop_twice_mid_call() -> None:
        calling = asyncio.create_task(_call_until_stopped(f"http://127.0.0.1:{port}/tasks/{TASK}/mcp"))
        while not model.waiting.is_set():
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)  # within the grace period
        process.send_signal(signal.SIGTERM)
        await asyncio.gather(calling, return_exceptions=True)

    asyncio.run(asyncio.wait_for(stop_twice_mid_call(), 60))
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert lines_of(stderr) == ["interrupted by SIGTERM again: stopped at once"], stderr


def test_serve_over_stdio_stopped_during_a_tool_call_exits_with_one_line(
    slow_tool_model: tuple[SlowToolModel, dict[str, str]], tmp_path: Path
) -> None:
    model, env = slow_tool_model
    cache = tmp_path / "cache.sqlite"
    command = [BUTTON, "serve", str(TASKS_FILE), "--task", TASK, "--cache", str(cache)]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    for message in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_flights", "arguments": FLIGHT}},
    ]:  # fmt: skip
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
    assert model.waiting.wait(60)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert_one_stop_line(stderr, signal.SIGTERM, besides=(f"simulator cache {cache}: 0 hits, 1 misses",))


def test_a_command_without_an_event_loop_stops_with_one_line(tmp_path: Path) -> None:
    """``tasks validate`` works in plain Python: the stop is raised where it runs."""
    big = tmp_path / "big.jsonl"
    lines = TASKS_FILE.read_text().splitlines()
    with big.open("w") as out:
        for copy in range(2000):
            for line in lines:
                task = json.loads(line)
                out.write(json.dumps({**task, "id": f"{task['id']}_{copy}"}) + "\n")
    process = subprocess.Popen(
        [BUTTON, "tasks", "validate", str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(2.5)  # imports done, validation under way (it takes far longer than this)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert_one_stop_line(stderr, signal.SIGTERM)


def test_replay_stopped_by_sigterm_gives_the_terminal_back(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [BUTTON, "replay", str(FIXTURES / "runs" / "sample")],
        stdin=follower, stdout=follower, stderr=follower, env={**os.environ, "TERM": "xterm-256color"},
    )  # fmt: skip
    os.close(follower)
    screen = _read_for(leader, 6.0)
    assert b"\x1b[?1049h" in screen  # the app took the alternate screen
    process.send_signal(signal.SIGTERM)
    after = _read_for(leader, 5.0)
    assert process.wait(timeout=10) == 143
    assert b"\x1b[?1049l" in after  # and gave it back
    text = after.decode(errors="replace")
    assert text.rstrip().endswith("interrupted by SIGTERM: stopped cleanly; what was finished is kept")
    assert "Traceback" not in text
    os.close(leader)


def _read_for(descriptor: int, seconds: float) -> bytes:
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([descriptor], [], [], 0.1)
        if ready:
            try:
                data += os.read(descriptor, 65536)
            except OSError:  # the other side closed
                break
    return data
