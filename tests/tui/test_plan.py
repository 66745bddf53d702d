from __future__ import annotations

from button.trajectory import Trajectory
from tui.calls import shown_calls
from tui.plan import COMPUTED, FROM_SCORE, match_plan
from tui.run import open_run

from .conftest import SAMPLE


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
