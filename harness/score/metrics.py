"""Score one trajectory against its task: pure, no model.

Metrics (None when one does not apply):

- ``precision``, ``recall``, ``f1``: matched calls over the calls made, over
  the plan's calls (see ``harness.score.matching`` for what matches);
- ``order``: share of paired plan calls with dependencies whose actual call
  came in a later assistant message than the calls paired with each
  dependency (a final call made before the results it needs is a violation,
  whatever its arguments);
- ``data_flow``: share of the plan's checkable references (``from``,
  ``from_all``, ``choice_from``, ``computed``) whose paired call carried the
  right value; ``computed_from`` (and ``computed`` over a plain-text result)
  is listed in ``details["unverified_flow"]`` instead;
- ``parallelism``: share of plan groups of two or more calls whose paired
  calls all came in one assistant message;
- ``validity``: share of calls whose arguments validate against the offered
  tool's ``parameters`` (a call of a tool that was not offered is invalid);
  ``invented_tools`` counts those calls;
- ``grounding``: share of the values of the last plan group's results that
  the answer messages state, any one of them each (``harness.score.answer``,
  ``harness.score.grounding``);
- efficiency: ``assistant_turns`` and ``tool_calls`` (counts), and
  ``call_efficiency`` = plan calls / calls made and ``turn_efficiency`` =
  (plan groups + 1) / assistant turns, both capped at 1.

Success and the reasons are decided in ``harness.score.verdict``. Every
metric also has a row in ``harness.score.metric_table`` (its header, its
one-line meaning, whether the summaries and rows show it), which is all that
shows the metrics reads.
"""

from __future__ import annotations

from typing import Any

from button.data_model.task import ComputedFrom, PlannedCall, Task, argument_source
from button.data_model.trajectory import (
    GroundingDetail,
    InvalidCall,
    PlanPair,
    Score,
    ScoreDetails,
    Trajectory,
)
from harness.score.answer import answer_messages
from harness.score.calls import ActualCall, actual_calls, assistant_turns
from harness.score.grounding import is_stated, stated_values, text_values
from harness.score.matching import Assignment, assign
from harness.score.verdict import decide

Metrics = dict[str, float | None]


def score_trajectory(trajectory: Trajectory, task: Task | None) -> Score:
    """The score of one trajectory; ``task=None`` scores what needs no task."""
    calls = actual_calls(trajectory, task)
    details = ScoreDetails()
    metrics: Metrics = {}
    metrics.update(_validity(calls, details))
    metrics["assistant_turns"] = float(assistant_turns(trajectory))
    metrics["tool_calls"] = float(len(calls))
    assignment = None
    if task is not None and task.plan:
        assignment = assign(task, calls)
        metrics.update(_plan_metrics(trajectory, task, calls, assignment, details))
    success, reasons = decide(trajectory, task, calls, assignment, metrics, details)
    return Score(
        task_id=trajectory.task_id,
        trajectory_id=trajectory.id,
        run_id=trajectory.run_id,
        metrics=metrics,
        success=success,
        reasons=reasons,
        details=details,
    )


def _validity(calls: list[ActualCall], details: ScoreDetails) -> Metrics:
    invalid = [
        InvalidCall(call=call.call_id, name=call.name, reason=call.problem)
        for call in calls
        if call.problem is not None
    ]
    details.invalid_calls = invalid
    return {
        "validity": (len(calls) - len(invalid)) / len(calls) if calls else None,
        "invented_tools": float(sum(call.invented for call in calls)),
    }


def _plan_metrics(
    trajectory: Trajectory,
    task: Task,
    calls: list[ActualCall],
    assignment: Assignment,
    details: ScoreDetails,
) -> Metrics:
    planned = task.planned_calls()
    matched = assignment.matched
    precision = len(matched) / len(calls) if calls else 0.0
    recall = len(matched) / len(planned)
    paired_indexes = {pair.actual.index for pair in assignment.pairs.values()}
    details.pairs = [
        PlanPair(
            plan=pair.plan.id,
            call=pair.actual.call_id,
            turn=pair.actual.turn,
            matched=pair.matched,
            disagreeing=list(pair.disagreeing),
            unverified=list(pair.unverified),
        )
        for pair in assignment.pairs.values()
    ]
    details.unpaired_plan_calls = [call.id for call in planned if call.id not in assignment.pairs]
    details.unpaired_calls = [call.call_id for call in calls if call.index not in paired_indexes]
    groups = task.plan or []
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "order": _order(groups, assignment, details),
        "data_flow": _data_flow(planned, assignment, details),
        "parallelism": _parallelism(groups, assignment, details),
        "grounding": _grounding(trajectory, groups[-1], assignment, details),
        "call_efficiency": min(1.0, len(planned) / len(calls)) if calls else 0.0,
        "turn_efficiency": min(1.0, (len(groups) + 1) / max(1, assistant_turns(trajectory))),
    }


def dependencies(groups: list[list[PlannedCall]]) -> dict[str, list[str]]:
    """Plan call id -> the calls it must come after: those its arguments reference,
    or, for a call that references none, every call of the group before it."""
    result: dict[str, list[str]] = {}
    for position, group in enumerate(groups):
        for call in group:
            refs: list[str] = []
            for value in call.arguments.values():
                source = argument_source(value)
                for ref in source.sources if source is not None else []:
                    if ref.call_id not in refs:
                        refs.append(ref.call_id)
            if not refs and position > 0:
                refs = [earlier.id for earlier in groups[position - 1]]
            result[call.id] = refs
    return result


def _order(groups: list[list[PlannedCall]], assignment: Assignment, details: ScoreDetails) -> float | None:
    """Over paired plan calls whose dependencies are all paired too (a missing one is not an order fault)."""
    needs = dependencies(groups)
    checked, violations = 0, []
    for call_id, pair in assignment.pairs.items():
        earlier = [assignment.actual_for(dep) for dep in needs[call_id]]
        if not earlier or any(call is None for call in earlier):
            continue
        checked += 1
        if any(call is not None and call.turn >= pair.actual.turn for call in earlier):
            violations.append(call_id)
    details.order_violations = violations
    return (checked - len(violations)) / checked if checked else None


def _data_flow(planned: list[PlannedCall], assignment: Assignment, details: ScoreDetails) -> float | None:
    total, broken, unverified = 0, [], []
    for call in planned:
        pair = assignment.pairs.get(call.id)
        for name, value in call.arguments.items():
            source = argument_source(value)
            if source is None:
                continue
            label = f"{call.id}.{name}"
            if isinstance(source, ComputedFrom) or (pair is not None and name in pair.unverified):
                unverified.append(label)
                continue
            total += 1
            if pair is None or name in pair.disagreeing:
                broken.append(label)
    details.data_flow_errors = broken
    details.unverified_flow = unverified
    return (total - len(broken)) / total if total else None


def _parallelism(
    groups: list[list[PlannedCall]], assignment: Assignment, details: ScoreDetails
) -> float | None:
    wide = [group for group in groups if len(group) > 1]
    serialised = []
    for group in wide:
        turns = {call.turn if call else None for call in (assignment.actual_for(c.id) for c in group)}
        if len(turns) != 1 or None in turns:
            serialised.append([call.id for call in group])
    details.groups_not_parallel = serialised
    return (len(wide) - len(serialised)) / len(wide) if wide else None


def _grounding(
    trajectory: Trajectory, last_group: list[PlannedCall], assignment: Assignment, details: ScoreDetails
) -> float | None:
    answer = answer_messages(trajectory)
    values: list[Any] = []
    missing_result = False
    for call in last_group:
        actual = assignment.actual_for(call.id)
        if actual is None or actual.failed:
            missing_result = True
        elif actual.plain:
            values += text_values(actual.text)
        else:
            values += stated_values(actual.result)
    stated = [value for value in values if any(is_stated(value, text) for text in answer)]
    details.grounding = GroundingDetail(
        answer=bool(answer), stated=stated, missing=[value for value in values if value not in stated]
    )
    if not answer or (missing_result and not values):
        return 0.0
    return len(stated) / len(values) if values else None
