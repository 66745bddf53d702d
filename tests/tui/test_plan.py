from __future__ import annotations

import json
from pathlib import Path

from button.data_model.task import Task
from button.data_model.trajectory import Trajectory
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from harness.score.metrics import score_trajectory
from tests.conftest import FIXTURES
from tui.open_run import open_run
from tui.plan_pairs import COMPUTED, FROM_SCORE, match_plan
from tui.scores import ScoreIndex
from tui.shown_calls import shown_calls

from .conftest import SAMPLE

SCORING = FIXTURES / "scoring"


def _load(trajectory_id: str) -> Trajectory:
    run = open_run(SAMPLE)
    for row in range(len(run.index)):
        parsed = run.index.load(row)
        if isinstance(parsed, Trajectory) and parsed.id == trajectory_id:
            return parsed
    raise AssertionError(trajectory_id)


def _summary(
    trajectory_id: str, with_score: bool
) -> tuple[str, list[tuple[str, str | None, tuple[str, ...]]], list[str]]:
    run = open_run(SAMPLE)
    trajectory = _load(trajectory_id)
    score = run.scores.get(trajectory_id) if with_score else None
    matching = match_plan(run.tasks[trajectory.task_id], shown_calls(trajectory), score)
    rows = [(m.call.id, m.actual.id if m.actual else None, m.disagreeing) for m in matching.matches]
    return matching.source, rows, [call.id for call in matching.unplanned]


def test_pairs_come_from_the_score_and_agree_with_computing_them() -> None:
    for trajectory_id in ("finance.two_share_prices_then_split#0", "education.course_section_enroll#0"):
        source, rows, unplanned = _summary(trajectory_id, with_score=True)
        computed_source, computed_rows, computed_unplanned = _summary(trajectory_id, with_score=False)
        assert (source, computed_source) == (FROM_SCORE, COMPUTED)
        assert rows == computed_rows and unplanned == computed_unplanned


def test_failed_calls_missing_calls_and_disagreements() -> None:
    _, rows, unplanned = _summary("finance.two_share_prices_then_split#0", with_score=True)
    assert rows == [("c1", "call_f1", ()), ("c2", "call_f2", ()), ("c3", "call_f4", ())]
    assert unplanned == ["call_f3"]  # the call the tool rejected
    _, rows, unplanned = _summary("education.course_section_enroll#0", with_score=True)
    # call_e2's arguments are cut-off JSON (invalid) and it was answered with an error
    disagreeing = ("course_id", "term", "(invalid arguments)", "(error result)")
    assert rows == [("c1", "call_e1", ()), ("c2", "call_e2", disagreeing), ("c3", None, ())]
    assert unplanned == ["call_e3"]


def test_a_call_knows_the_message_that_answered_it() -> None:
    calls = {call.id: call for call in shown_calls(_load("finance.two_share_prices_then_split#0"))}
    assert (calls["call_f3"].message, calls["call_f3"].result_message) == (5, 6)
    assert calls["call_f3"].error == "budget_usd: '$10,000' is not of type 'number'"
    assert calls["call_f4"].result == {"shares_a": 21, "shares_b": 11, "leftover_usd": 534.35}
    education = {call.id: call for call in shown_calls(_load("education.course_section_enroll#0"))}
    assert education["call_e2"].arguments_error is not None
    assert education["call_e2"].arguments == '{"course_id": "STAT 1010", "term": "Spring 2027"'


def _scored_by_the_scorer(tmp_path: Path, trajectory_id: str) -> tuple[Trajectory, Task, Path]:
    """One fixture trajectory scored by ``button score``'s scorer, its score written as the file has it."""
    tasks = {task.id: task for task in load_tasks(SCORING / "tasks.jsonl")}
    trajectory = next(
        t for t in read_records(SCORING / "trajectories.jsonl", Trajectory) if t.id == trajectory_id
    )
    path = tmp_path / "scores.jsonl"
    path.write_text(score_trajectory(trajectory, tasks[trajectory.task_id]).model_dump_json() + "\n")
    return trajectory, tasks[trajectory.task_id], path


def test_the_panel_reads_the_pairing_the_scorer_wrote(tmp_path: Path) -> None:
    trajectory, task, path = _scored_by_the_scorer(tmp_path, "travel.flight_then_hotel#broken_data_flow")
    matching = match_plan(task, shown_calls(trajectory), ScoreIndex(path).get(trajectory.id))
    assert matching.source == FROM_SCORE
    rows = [(m.call.id, m.actual.id if m.actual else None, m.disagreeing) for m in matching.matches]
    assert rows == [("c1", "call_1", ()), ("c2", "call_2", ("city",))]


def test_a_malformed_pair_makes_the_score_unusable_not_a_guess(tmp_path: Path) -> None:
    trajectory, _, path = _scored_by_the_scorer(tmp_path, "travel.flight_then_hotel#broken_data_flow")
    record = json.loads(path.read_text())
    record["details"]["pairs"][1]["call"] = 2  # a tool call id is a string
    path.write_text(json.dumps(record) + "\n")
    index = ScoreIndex(path)
    assert index.get(trajectory.id) is None
    assert "details.pairs.1.call" in index.problems[trajectory.id]
