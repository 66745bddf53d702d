"""A configured judge gates success: a contradicting answer that passes the deterministic floor fails.

Everything goes through ``button score`` (``harness.score.score_run``) on a copy of
fixtures/scoring/cases/. The judge is a real OpenAI-compatible HTTP server
(tests/harness/scripted_openai.py) scripted to answer as a careful person would
for each hand-built case (its ``success`` in expected.jsonl), reached through
``harness.score.judge.judge`` and a real ``ModelClient``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import FailureReason, Score, Trajectory
from button.storage.records import read_records
from harness.score.judge import JUDGE_SAMPLING, transcript
from tests.conftest import FIXTURES
from tests.harness.scripted_openai import Reply, Responder, ScriptedOpenAI

CASES = FIXTURES / "scoring" / "cases"
CONTRADICTING = "hr.leave_status#contradicting_status"
TAKEN_BACK = "hr.leave_status#answer_then_contradiction"


def expected() -> dict[str, dict[str, Any]]:
    lines = (CASES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


def floor_verdicts() -> dict[str, bool]:
    """Trajectory id -> the deterministic floor's verdict (the careful one unless the case says otherwise)."""
    return {k: v.get("deterministic_success", v["success"]) for k, v in expected().items()}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A copy of the cases as a run directory (manifest, tasks, trajectories)."""
    target = tmp_path / "cases"
    shutil.copytree(CASES, target)
    return target


def score(run: Path, responder: Responder | None = None) -> dict[str, Score]:
    """``button score RUN`` (with a judge served by ``responder``, if any): trajectory id -> score."""
    if responder is None:
        assert main(["score", str(run), "--json"]) == 0
    else:
        with ScriptedOpenAI(responder) as server:
            judge = ["--judge-base-url", server.base_url, "--judge-model", server.model]
            assert main(["score", str(run), *judge, "--json"]) == 0
            requests = list(server.requests)
        assert len(requests) == len(expected())
        assert all(body["temperature"] == 0 and body["seed"] == JUDGE_SAMPLING["seed"] for body in requests)
    return {s.trajectory_id: s for s in read_records(run / "scores.jsonl", Score)}


def careful_judge() -> Responder:
    """Answers each case's careful verdict, recognising the case by the conversation the judge is shown."""
    careful = {trajectory_id: record["success"] for trajectory_id, record in expected().items()}
    trajectories = read_records(CASES / "trajectories.jsonl", Trajectory)
    by_transcript = {transcript(t): careful[t.id] for t in trajectories}
    assert len(by_transcript) == len(trajectories)  # each conversation reads differently

    def respond(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        shown = prompt.split("Conversation:\n", 1)[1].rsplit("\n\nAnswer with", 1)[0]
        success = by_transcript[shown]
        reason = "faithful to the results" if success else "the answer contradicts the results"
        return Reply(content=json.dumps({"reason": reason, "success": success}))

    return respond


def test_without_a_judge_the_contradictions_pass_the_deterministic_floor(run: Path) -> None:
    scores = score(run)
    for trajectory_id in (CONTRADICTING, TAKEN_BACK):
        assert scores[trajectory_id].success is True and scores[trajectory_id].reasons == []
        assert scores[trajectory_id].judge is None
    assert {trajectory_id: s.success for trajectory_id, s in scores.items()} == floor_verdicts()


def test_with_a_judge_a_contradicting_answer_fails_and_every_verdict_is_the_careful_one(run: Path) -> None:
    scores = score(run, careful_judge())
    for trajectory_id in (CONTRADICTING, TAKEN_BACK):
        contradicting = scores[trajectory_id]
        assert contradicting.success is False
        assert contradicting.reasons == [FailureReason.JUDGE_FAILED]
        assert contradicting.details.failures == ["the judge found the answer unfaithful or the task undone"]
        assert contradicting.judge is not None and contradicting.judge.usage.requests == 1
        assert contradicting.judge.usage.prompt_tokens > 0
    careful = {trajectory_id: record["success"] for trajectory_id, record in expected().items()}
    assert {trajectory_id: s.success for trajectory_id, s in scores.items()} == careful


def test_a_judge_cannot_rescue_a_deterministic_failure(run: Path) -> None:
    """The judge gates success; it never turns a failed plan check into a success: a judge that
    approves everything leaves every verdict of the floor as it was."""
    scores = score(run, lambda body: Reply(content='{"reason": "fine", "success": true}'))
    wrong_order = scores["travel.flight_then_hotel#wrong_order"]
    assert wrong_order.success is False and wrong_order.reasons == [FailureReason.WRONG_ORDER]
    assert wrong_order.judge is not None and wrong_order.judge.success is True
    assert {trajectory_id: s.success for trajectory_id, s in scores.items()} == floor_verdicts()
