"""A configured judge gates success: a contradicting answer that passes the deterministic floor fails.

The judge is a real OpenAI-compatible HTTP server (tests/harness/scripted_openai.py)
scripted to answer as a careful person would for each hand-built case of
fixtures/scoring/cases/ (its ``success`` in expected.jsonl), reached through
``harness.judge.judge`` and a real ``ModelClient``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from button.endpoints import EndpointConfig, Role
from button.llm import open_models
from button.records import read_records
from button.task import Task
from button.taskfile import load_tasks
from button.trajectory import FailureReason, JudgeVerdict, Score, Trajectory
from harness.judge import JUDGE_SAMPLING, judge, transcript
from harness.scoring.metrics import score_trajectory
from harness.scoring.verdict import apply_verdict
from tests.conftest import FIXTURES
from tests.harness.scripted_openai import Reply, ScriptedOpenAI

CASES = FIXTURES / "scoring" / "cases"
CONTRADICTING = "hr.leave_status#contradicting_status"


def careful_verdicts() -> dict[str, bool]:
    lines = (CASES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"]: record["success"] for record in map(json.loads, lines)}


def judged(trajectories: list[Trajectory], tasks: dict[str, Task], responder: Any) -> list[JudgeVerdict]:
    with ScriptedOpenAI(responder) as server:

        async def ask() -> list[JudgeVerdict]:
            config = EndpointConfig(role=Role.JUDGE, base_url=server.base_url, model=server.model)
            async with open_models([config]) as clients:
                return [await judge(clients[Role.JUDGE], t, tasks[t.task_id]) for t in trajectories]

        verdicts = asyncio.run(ask())
        requests = list(server.requests)
    assert all(body["temperature"] == 0 and body["seed"] == JUDGE_SAMPLING["seed"] for body in requests)
    return verdicts


def test_a_contradicting_answer_fails_with_a_judge_and_every_verdict_becomes_the_careful_one() -> None:
    tasks = {task.id: task for task in load_tasks(CASES / "tasks.jsonl")}
    trajectories = read_records(CASES / "trajectories.jsonl", Trajectory)
    careful = careful_verdicts()
    by_transcript = {transcript(t): careful[t.id] for t in trajectories}
    assert len(by_transcript) == len(trajectories)  # each conversation reads differently

    def careful_judge(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        shown = prompt.split("Conversation:\n", 1)[1].rsplit("\n\nAnswer with", 1)[0]
        success = by_transcript[shown]
        reason = "faithful to the results" if success else "the answer contradicts the results"
        return Reply(content=json.dumps({"reason": reason, "success": success}))

    scores: dict[str, Score] = {t.id: score_trajectory(t, tasks[t.task_id]) for t in trajectories}
    assert scores[CONTRADICTING].success is True  # the deterministic floor cannot see it
    for trajectory, verdict in zip(trajectories, judged(trajectories, tasks, careful_judge), strict=True):
        apply_verdict(scores[trajectory.id], verdict)

    contradicting = scores[CONTRADICTING]
    assert contradicting.success is False
    assert FailureReason.JUDGE_FAILED in contradicting.reasons
    assert contradicting.judge is not None and contradicting.judge.usage.requests == 1
    assert contradicting.judge.usage.prompt_tokens > 0
    assert {trajectory_id: score.success for trajectory_id, score in scores.items()} == careful


def test_a_judge_cannot_rescue_a_deterministic_failure() -> None:
    """The judge gates success; it never turns a failed plan check into a success."""
    tasks = {task.id: task for task in load_tasks(CASES / "tasks.jsonl")}
    wrong_order = next(
        t
        for t in read_records(CASES / "trajectories.jsonl", Trajectory)
        if t.id == "travel.flight_then_hotel#wrong_order"
    )
    score = score_trajectory(wrong_order, tasks[wrong_order.task_id])
    (verdict,) = judged(
        [wrong_order], tasks, lambda body: Reply(content='{"reason": "fine", "success": true}')
    )
    apply_verdict(score, verdict)
    assert score.success is False and score.reasons == [FailureReason.WRONG_ORDER]
    assert score.judge == verdict
