"""``button score --concurrency``: judge calls in flight are bounded, the output stays in
trajectory order, and a killed judged scoring loses only the verdicts in flight.

The judge is a real OpenAI-compatible HTTP server (tests/harness/scripted_openai.py)
reached through the real CLI, in-process and as a killed subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import Score, Trajectory
from button.storage.records import iter_lines, read_records
from tests.conftest import BUTTON, FIXTURES
from tests.harness.scripted_openai import Reply, ScriptedOpenAI

ORDER = [t.id for t in read_records(FIXTURES / "scoring" / "trajectories.jsonl", Trajectory)]
BLOCKED = "finance.two_share_prices_then_split#ungrounded_answer"
BLOCKED_MARK = "about 20 shares of each"  # only that trajectory's final answer says this


class Judge:
    """Answers verdicts; counts requests in flight; may hold some requests until released."""

    def __init__(self, gather: int = 0, hold: str | None = None) -> None:
        self.gather = gather  # hold requests until this many were once in flight (at most 2 s)
        self.hold = hold  # hold requests whose prompt contains this until ``release``
        self.in_flight = 0
        self.max_in_flight = 0
        self.answered = 0
        self.prompts: list[str] = []
        self.released = threading.Event()
        self._changed = threading.Condition()

    def __call__(self, body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        with self._changed:
            self.prompts.append(prompt)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.max_in_flight >= self.gather, timeout=2)
        if self.hold and self.hold in prompt:
            self.released.wait(timeout=60)
        with self._changed:
            self.in_flight -= 1
            self.answered += 1
            number = self.answered
        return Reply(content=json.dumps({"reason": f"verdict {number}", "success": True}))


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(FIXTURES / "scoring", target)
    return target


def judge_args(server: ScriptedOpenAI) -> list[str]:
    return ["--judge-base-url", server.base_url, "--judge-model", server.model]


def test_judge_calls_run_concurrently_and_scores_stay_in_order(run: Path) -> None:
    judge = Judge(gather=4)
    with ScriptedOpenAI(judge) as server:
        assert main(["score", str(run), *judge_args(server), "--concurrency", "4", "--json"]) == 0
    assert judge.max_in_flight == 4  # held until 4 were in flight; never more
    scores = read_records(run / "scores.jsonl", Score)
    assert [score.trajectory_id for score in scores] == ORDER
    assert all(score.judge is not None and score.judge.model == "scripted" for score in scores)
    assert not (run / "scores.jsonl.partial").exists()


def test_concurrency_one_is_serial(run: Path) -> None:
    judge = Judge()
    with ScriptedOpenAI(judge, latency_s=0.02) as server:
        assert main(["score", str(run), *judge_args(server), "--concurrency", "1", "--json"]) == 0
    assert judge.max_in_flight == 1 and judge.answered == len(ORDER)
    assert [score.trajectory_id for score in read_records(run / "scores.jsonl", Score)] == ORDER


def test_bad_concurrency_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run), "--judge", "--concurrency", "0"]) == 2
    assert "error: --concurrency: must be at least 1" in capsys.readouterr().err


def test_killed_judged_scoring_loses_only_the_verdicts_in_flight(run: Path) -> None:
    journal = run / "scores.jsonl.partial"
    judge = Judge(hold=BLOCKED_MARK)
    with ScriptedOpenAI(judge) as server:
        process = subprocess.Popen(
            [BUTTON, "score", str(run), *judge_args(server), "--concurrency", "4"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "OPENAI_API_KEY": "sk-test"},
        )
        try:
            deadline = time.monotonic() + 60
            while _journal_ids(journal) != set(ORDER) - {BLOCKED}:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, _journal_ids(journal)
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
            judge.released.set()
        assert not (run / "scores.jsonl").exists()
        earlier = {s.trajectory_id: s.judge for s in read_records(journal, Score)}
        asked_before = len(judge.prompts)
        assert main(["score", str(run), *judge_args(server), "--concurrency", "4", "--json"]) == 0
    new_prompts = judge.prompts[asked_before:]
    assert len(new_prompts) == 1 and BLOCKED_MARK in new_prompts[0]  # only the one in flight
    scores = read_records(run / "scores.jsonl", Score)
    assert [score.trajectory_id for score in scores] == ORDER
    assert all(
        score.judge == earlier[score.trajectory_id] for score in scores if score.trajectory_id != BLOCKED
    )
    assert not journal.exists()


def _journal_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {str(value["trajectory_id"]) for _, value, _ in iter_lines(path) if value}


def test_the_judge_never_works_further_ahead_than_the_window(tmp_path: Path) -> None:
    """Scores are written in order, so while the first verdict is held the judge may run
    ahead by ``window_size`` trajectories and no further: memory stays bounded."""
    import asyncio
    import contextlib

    from button.data_model.trajectory import JudgeVerdict
    from harness.run.run_dir import locate_run
    from harness.score.score_run import TaskSet, score_run, window_size

    samples = (FIXTURES / "scoring" / "trajectories.jsonl").read_text().splitlines()
    window = window_size(2)
    folder = tmp_path / "many"
    shutil.copytree(FIXTURES / "scoring", folder)
    ids = []
    with (folder / "trajectories.jsonl").open("w") as handle:
        for number in range(window + 40):
            record = json.loads(samples[number % len(samples)])
            record["id"] = f"{record['id']}~{number}"
            ids.append(record["id"])
            handle.write(json.dumps(record) + "\n")
    position = {trajectory_id: number for number, trajectory_id in enumerate(ids)}
    written: list[str] = []
    asked: list[tuple[int, int]] = []  # (position asked, scores written by then)

    async def judge(trajectory: Trajectory, task: object) -> JudgeVerdict:
        asked.append((position[trajectory.id], len(written)))
        if position[trajectory.id] == window:
            release.set()
        if position[trajectory.id] == 0:  # the first verdict waits until the window is full
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), timeout=30)
        return JudgeVerdict(success=True, reason="ok", model="m")

    async def scoring() -> int:
        return await score_run(
            locate_run(folder),
            TaskSet.load(folder / "tasks.jsonl"),
            judge=judge,
            judge_model="m",
            concurrency=2,
            on_written=lambda score, status: written.append(score.trajectory_id),
        )

    release = asyncio.Event()
    count = asyncio.run(scoring())
    assert count == len(ids) and written == ids
    assert [s.trajectory_id for s in read_records(folder / "scores.jsonl", Score)] == ids
    assert sorted(p for p, _ in asked) == list(range(len(ids)))
    assert all(p - done <= window for p, done in asked)
    assert max(p for p, done in asked if done == 0) == window  # it did run ahead, up to the bound
