"""Running summaries: means, reasons counted per task, strategy and overall, pass@k per task
and overall, all worked out by hand."""

from __future__ import annotations

import pytest

from button.trajectory import FailureReason, JudgeVerdict, Score
from harness.scoring.summary import Summaries

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
