"""Running summaries: means, reasons counted per task, strategy and overall, pass@k per task
and overall, all worked out by hand."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from button.cli.main import main
from button.data_model.trajectory import FailureReason, JudgeVerdict, Score, Trajectory, TrajectoryStatus
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from harness.score import metric_table
from harness.score.metrics import score_trajectory
from harness.score.score_report import summary_table
from harness.score.score_rows import RowSink, Show, row_lines
from harness.score.summary import Summaries
from tests.conftest import FIXTURES

COMPLETED = TrajectoryStatus.COMPLETED

STRATEGY = {"a": "sequential", "b": "sequential", "c": "parallel-then-sequential"}


def score(task: str, success: bool | None, *reasons: FailureReason, f1: float | None = None) -> Score:
    return Score(
        task_id=task,
        trajectory_id=f"{task}#x",
        run_id="r",
        success=success,
        reasons=list(reasons),
        metrics={"f1": f1, "tool_calls": 2.0},
    )


def fed(*scores: Score) -> Summaries:
    summaries = Summaries(STRATEGY)
    for item in scores:
        summaries.add(item)
    return summaries


def test_reasons_are_counted_at_every_level() -> None:
    missing, ungrounded, order = (
        FailureReason.MISSING_CALL,
        FailureReason.UNGROUNDED,
        FailureReason.WRONG_ORDER,
    )
    summaries = fed(
        score("a", False, missing, ungrounded),
        score("a", False, missing),
        score("b", True),
        score("c", False, order, ungrounded),
    )
    assert summaries.tasks["a"].reasons == {"missing_call": 2, "ungrounded": 1}
    assert summaries.tasks["b"].reasons == {}
    assert summaries.strategies["sequential"].reasons == {"missing_call": 2, "ungrounded": 1}
    assert summaries.strategies["parallel-then-sequential"].reasons == {"wrong_order": 1, "ungrounded": 1}
    assert summaries.overall.reasons == {"missing_call": 2, "ungrounded": 2, "wrong_order": 1}
    assert summaries.reasons()[:2] == ["missing_call", "ungrounded"]
    assert summaries.overall.as_json()["reasons"] == {"missing_call": 2, "ungrounded": 2, "wrong_order": 1}


def test_means_rates_and_order_of_appearance() -> None:
    summaries = fed(
        score("b", True, f1=1.0),
        score("a", False, f1=0.5),
        score("a", None, f1=None),  # no verdict, no f1: left out of both
        score("c", True, f1=0.0),
    )
    assert list(summaries.tasks) == ["b", "a", "c"]
    assert list(summaries.strategies) == ["sequential", "parallel-then-sequential"]
    overall = summaries.overall
    assert (overall.trajectories, overall.judged, overall.successes) == (4, 3, 2)
    assert overall.success_rate == pytest.approx(2 / 3)
    assert overall.means["f1"] == pytest.approx(0.5)
    assert overall.means["tool_calls"] == pytest.approx(2.0)
    assert overall.means["order"] is None
    assert summaries.tasks["a"].success_rate == 0.0


def test_judge_verdicts_are_counted_apart() -> None:
    judged = score("a", True)
    judged.judge = JudgeVerdict(success=False, reason="contradicts", model="m")
    summaries = fed(judged, score("a", True))
    assert summaries.overall.judge_verdicts == 1 and summaries.overall.judge_success_rate == 0.0
    assert summaries.overall.success_rate == 1.0


def test_pass_k_per_task_and_overall() -> None:
    """Task a: 4 trials, 3 successes; task b: 4 trials, 1 success; task c: 2 trials, 2 successes."""
    outcomes = {"a": [True, True, False, True], "b": [False, False, True, False], "c": [True, True]}
    summaries = fed(*(score(task, ok) for task, oks in outcomes.items() for ok in oks))
    assert summaries.max_trials == 4 and summaries.k_values() == [1, 2, 4]
    per_task = {
        task: {v.k: (v.pass_at_k, v.pass_hat_k) for v in values}
        for task, values in summaries.task_passes().items()
    }
    # a: n=4, c=3. pass@2 = 1 - C(1,2)/C(4,2) = 1; pass^2 = C(3,2)/C(4,2) = 3/6; k=4: 1 and 0
    assert per_task["a"] == {1: pytest.approx((0.75, 0.75)), 2: pytest.approx((1.0, 0.5)), 4: (1.0, 0.0)}
    # b: n=4, c=1. pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6; pass^2 = 0
    assert per_task["b"] == {1: pytest.approx((0.25, 0.25)), 2: pytest.approx((0.5, 0.0)), 4: (1.0, 0.0)}
    # c: n=2, c=2: k=4 does not apply
    assert per_task["c"] == {1: (1.0, 1.0), 2: (1.0, 1.0)}
    overall = {v.k: (v.pass_at_k, v.pass_hat_k, v.tasks) for v in summaries.overall_passes()}
    assert overall[1] == pytest.approx(((0.75 + 0.25 + 1) / 3, (0.75 + 0.25 + 1) / 3, 3))
    assert overall[2] == pytest.approx(((1 + 0.5 + 1) / 3, (0.5 + 0 + 1) / 3, 3))
    assert overall[4] == pytest.approx((1.0, 0.0, 2))  # the mean over the two tasks with 4 trials


def test_one_trial_each_reports_k_1_only() -> None:
    summaries = fed(score("a", True), score("b", False), score("c", None))
    assert summaries.max_trials == 1
    assert [v.k for v in summaries.overall_passes()] == [1]
    assert "c" not in summaries.task_passes()  # no verdict, no trial


def test_the_metric_table_names_every_metric_the_scorer_computes() -> None:
    tasks = {task.id: task for task in load_tasks(FIXTURES / "scoring" / "tasks.jsonl")}
    computed: set[str] = set()
    for trajectory in read_records(FIXTURES / "scoring" / "trajectories.jsonl", Trajectory):
        computed |= set(score_trajectory(trajectory, tasks[trajectory.task_id]).metrics)
    assert computed == {metric.name for metric in metric_table.METRICS}


def test_a_metric_added_to_the_table_reaches_summaries_tables_rows_and_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One row in the table is all a new metric needs besides computing it."""
    extra = metric_table.Metric("answer_chars", "chars", "characters of the answer", count=True, summary=True)
    monkeypatch.setattr(metric_table, "METRICS", (*metric_table.METRICS, replace(extra, row=True)))
    summaries = Summaries(STRATEGY)
    for chars in (40.0, 60.0):
        summaries.add(Score(task_id="a", trajectory_id="a#x", run_id="r", metrics={"answer_chars": chars}))
    assert summaries.overall.means["answer_chars"] == 50.0
    console = Console(width=300, record=True, file=io.StringIO(), color_system=None)
    console.print(summary_table("overall", [summaries.overall], judged=False))
    lines = [line.split() for line in console.export_text().splitlines()]
    header = next(words for words in lines if words[:1] == ["name"])
    row = [words for words in lines if words[:1] == ["overall"]][-1]  # after the title
    assert header[-1] == "chars" and row[-1] == "50.0"
    with RowSink(Show.ALL) as rows:
        rows.add(
            Score(task_id="a", trajectory_id="a#x", run_id="r", metrics={"answer_chars": 7.0}), COMPLETED
        )
        head, line = (text.split() for text in row_lines(rows, None))
    assert (head[-2], line[-2]) == ("chars", "7")  # before the reasons column
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    help_lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["answer_chars", "*", "characters", "of", "the", "answer"] in help_lines
