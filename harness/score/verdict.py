"""Success and the reasons behind it, from the metrics and the pairing; and the judge's gate.

A task with a plan is a **success** when all of these hold:

- every plan call is matched (``harness.score.matching``): made with valid
  arguments, answered without an error, every planned argument agreeing;
- ``order`` is 1 or does not apply: no call came before the results it needs;
- the final answer exists and states at least ``GROUNDED_AT`` of the last
  plan group's result values (``harness.score.grounding``), or those
  results hold no value to state;
- when a judge is configured, its verdict is a success (``apply_verdict``).

``Score.reasons`` lists every failing aspect, fatal or not, once each, in the
order of ``FailureReason``. The ones that never cost success on their own:
``unverified_flow`` (a ``computed_from`` argument, or a ``computed`` one over
a plain-text result), ``invented_tool`` and ``invalid_arguments`` when
another call still matched the plan call, and ``error`` (the conversation
ended in an error; what it achieved is judged as it stands). A plan call
that is not matched gives one reason: ``invalid_arguments`` if its paired
call was invalid, ``tool_error`` if that call got only an error,
``broken_flow`` if a reference argument disagreed (with ``missing_call`` too
if a literal did), else ``missing_call``. ``no_calls`` stands alone for a
trajectory without any call (no ``missing_call``, ``broken_flow`` or
``ungrounded`` then). Tasks without a plan get ``success=None`` and only the
reasons that need no plan; a judge's verdict decides them.
"""

from __future__ import annotations

from button.data_model.task import Task, argument_source
from button.data_model.trajectory import (
    FailureReason,
    JudgeVerdict,
    Score,
    ScoreDetails,
    Trajectory,
    TrajectoryStatus,
)
from harness.score.calls import ActualCall
from harness.score.matching import Assignment, Pair

GROUNDED_AT = 0.5

R = FailureReason
NEVER_FATAL = frozenset({R.UNVERIFIED_FLOW, R.INVENTED_TOOL, R.INVALID_ARGUMENTS, R.ERROR})
EXPLANATIONS: dict[FailureReason, str] = {
    R.NO_CALLS: "the assistant called no function",
    R.MISSING_CALL: "a plan call has no matching call",
    R.WRONG_ORDER: "a call came before the results it needs",
    R.BROKEN_FLOW: "a call did not use the earlier result it needed",
    R.UNVERIFIED_FLOW: "a computed value could not be checked",
    R.INVENTED_TOOL: "a call named a tool that was not offered",
    R.INVALID_ARGUMENTS: "a call's arguments broke the tool's parameters",
    R.TOOL_ERROR: "a needed call got only an error",
    R.UNGROUNDED: "the final answer does not state the results",
    R.NO_FINAL_ANSWER: "no assistant message answers the task",
    R.JUDGE_FAILED: "the judge found the answer unfaithful or the task undone",
    R.ERROR: "the conversation ended in an error",
}


def decide(
    trajectory: Trajectory,
    task: Task | None,
    calls: list[ActualCall],
    assignment: Assignment | None,
    metrics: dict[str, float | None],
    details: ScoreDetails,
) -> tuple[bool | None, list[FailureReason]]:
    """(success, reasons) of a scored trajectory; success is None without a plan."""
    found: set[FailureReason] = set()
    fatal: set[FailureReason] = set()
    if trajectory.status is TrajectoryStatus.ERROR:
        found.add(R.ERROR)
    if any(call.invented for call in calls):
        found.add(R.INVENTED_TOOL)
    if any(call.problem is not None and not call.invented for call in calls):
        found.add(R.INVALID_ARGUMENTS)
    if task is None or not task.plan or assignment is None:
        details.failures = []
        return None, ordered(found)
    if not calls:
        fatal.add(R.NO_CALLS)
    else:
        for call in task.planned_calls():
            pair = assignment.pairs.get(call.id)
            if pair is None:
                fatal.add(R.MISSING_CALL)
            elif not pair.matched:
                fatal.update(unmatched_reasons(pair))
        if details.order_violations:
            fatal.add(R.WRONG_ORDER)
    if details.unverified_flow:
        found.add(R.UNVERIFIED_FLOW)
    grounding = metrics.get("grounding")
    if details.grounding is None or not details.grounding.answer:
        fatal.add(R.NO_FINAL_ANSWER)
    elif calls and grounding is not None and grounding < GROUNDED_AT:
        fatal.add(R.UNGROUNDED)
    details.failures = [EXPLANATIONS[reason] for reason in ordered(fatal)]
    return not fatal, ordered(found | fatal)


def unmatched_reasons(pair: Pair) -> set[FailureReason]:
    """Why a paired plan call did not match (see the module doc)."""
    if not pair.actual.valid:
        return {R.INVALID_ARGUMENTS}
    if pair.actual.failed:
        return {R.TOOL_ERROR}
    wrong = [name for name in pair.disagreeing if name in pair.plan.arguments]
    references = {name for name in wrong if argument_source(pair.plan.arguments[name]) is not None}
    reasons = {R.BROKEN_FLOW} if references else set()
    if len(references) < len(wrong) or not wrong:
        reasons.add(R.MISSING_CALL)
    return reasons


def ordered(reasons: set[FailureReason]) -> list[FailureReason]:
    return [reason for reason in FailureReason if reason in reasons]


def apply_verdict(score: Score, verdict: JudgeVerdict) -> None:
    """Add a judge's verdict: it decides a task without a plan and gates one with a plan."""
    score.judge = verdict
    score.success = verdict.success if score.success is None else score.success and verdict.success
    if not verdict.success and R.JUDGE_FAILED not in score.reasons:
        score.reasons = ordered({*score.reasons, R.JUDGE_FAILED})
        score.details.failures.append(EXPLANATIONS[R.JUDGE_FAILED])
