"""Pairing the calls an assistant made with the calls of the task's plan.

Each plan call is *paired* with at most one actual call of the same function
name, and each actual call with at most one plan call. A pair is a *match*
when the actual call is valid against the offered tool's ``parameters``, was
answered (not with an error), and every planned argument agrees:

- a literal agrees with an equal value after normalisation
  (``harness.score.normalise``: numbers by value, strings by their words,
  a qualified string with its head, lists as multisets);
- a reference agrees as ``harness.score.references`` says (``computed_from``
  and ``computed`` over plain text pass as *unverified*).

Arguments the plan does not mention are ignored here (validity checks them
against the schema). When a function appears more than once in the plan, or
the assistant retried a call, the pairing is the best one-to-one assignment:
most matches first, then most agreeing arguments, then most answered calls
(so a failed attempt is never preferred over a later successful one), found
by a bounded branch-and-bound search whose first leaf is the greedy choice.
The bound counts, for each plan call, the best pair it could make with any
pairing of the others: a literal agrees as it does; a ``from`` argument when
its value is that field of the result of any call of the referenced
function; a ``computed_from`` argument when, for each source, some call of
its function returned a result in an earlier message; the other forms
always. Without that, many calls to one function that can never match keep
an optimistic bound above every leaf and the search runs to its node budget
(bench/bench_score.py measures this case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from button.data_model.task import ComputedFrom, FromRef, PlannedCall, Task, argument_source
from harness.score.calls import ActualCall
from harness.score.normalise import values_agree
from harness.score.references import Agreement, Source, agreement, read

SEARCH_BUDGET = 50_000  # nodes; the search keeps the best assignment found when it runs out
INVALID = "(invalid arguments)"  # in ``Pair.disagreeing``: the call broke the tool's parameters
ERROR_RESULT = "(error result)"  # in ``Pair.disagreeing``: the call was answered with an error

same_value = values_agree

Score3 = tuple[int, int, int]  # (matches, agreeing arguments, answered calls)


@dataclass(frozen=True)
class Pair:
    plan: PlannedCall
    actual: ActualCall
    disagreeing: tuple[str, ...]  # planned argument names that did not agree, then INVALID / ERROR_RESULT
    unverified: tuple[str, ...] = ()  # planned arguments that passed without a check

    @property
    def matched(self) -> bool:
        return not self.disagreeing

    @property
    def agreed(self) -> int:
        return len(self.plan.arguments) - sum(1 for name in self.disagreeing if name in self.plan.arguments)


@dataclass
class Assignment:
    pairs: dict[str, Pair] = field(default_factory=dict)  # plan call id -> pair
    nodes: int = 0  # search nodes visited to find it

    @property
    def matched(self) -> dict[str, Pair]:
        return {call_id: pair for call_id, pair in self.pairs.items() if pair.matched}

    def actual_for(self, plan_call_id: str) -> ActualCall | None:
        pair = self.pairs.get(plan_call_id)
        return pair.actual if pair else None


def argument_agreement(planned: Any, name: str, actual: ActualCall, assignment: Assignment) -> Agreement:
    arguments = actual.arguments or {}
    if name not in arguments:
        return Agreement.DISAGREES
    reference = argument_source(planned)
    if reference is None:
        return Agreement.AGREES if values_agree(planned, arguments[name]) else Agreement.DISAGREES
    return agreement(reference, arguments[name], assignment.actual_for, actual.turn)


def argument_agrees(planned: Any, name: str, actual: ActualCall, assignment: Assignment) -> bool:
    return argument_agreement(planned, name, actual, assignment).passes


def make_pair(plan: PlannedCall, actual: ActualCall, assignment: Assignment) -> Pair:
    disagreeing: list[str] = []
    unverified: list[str] = []
    for name, value in plan.arguments.items():
        verdict = argument_agreement(value, name, actual, assignment)
        if verdict is Agreement.DISAGREES:
            disagreeing.append(name)
        elif verdict is Agreement.UNVERIFIED:
            unverified.append(name)
    if not actual.valid:
        disagreeing.append(INVALID)
    if actual.failed:
        disagreeing.append(ERROR_RESULT)
    return Pair(plan=plan, actual=actual, disagreeing=tuple(disagreeing), unverified=tuple(unverified))


def assign(task: Task, calls: list[ActualCall]) -> Assignment:
    """The best one-to-one pairing of plan calls with actual calls (see the module doc)."""
    planned = task.planned_calls()  # in group order: references point to earlier calls
    search = _Search(planned, calls)
    search.run(0, Assignment(), set(), (0, 0, 0))
    search.best.nodes = search.nodes
    return search.best


def best_possible(plan: PlannedCall, calls: list[ActualCall], planned: list[PlannedCall]) -> Score3:
    """(match, agreeing arguments, answered) that pairing ``plan`` can add at most, whatever the other pairs."""
    names = {call.id: call.name for call in planned}
    answered: dict[str, int] = {}  # function -> the first message in which a call of it returned
    for call in calls:
        if call.answered:
            answered[call.name] = min(answered.get(call.name, call.turn), call.turn)
    possible: dict[str, list[Source]] = {}  # argument -> what a ``from`` could read
    for name, value in plan.arguments.items():
        reference = argument_source(value)
        if isinstance(reference, FromRef):
            possible[name] = [
                read(call, reference.path) for call in calls if call.name == names.get(reference.call_id)
            ]
    most = (0, 0, 0)
    for call in calls:
        if call.name != plan.name:
            continue
        arguments = call.arguments or {}
        agreed = 0
        for name, value in plan.arguments.items():
            reference = argument_source(value)
            if name not in arguments:
                continue
            if isinstance(reference, ComputedFrom):
                first = [answered.get(names.get(ref.call_id, ""), call.turn) for ref in reference.sources]
                agreed += all(turn < call.turn for turn in first)
            elif isinstance(reference, FromRef):
                agreed += any(item.agrees(arguments[name]) for item in possible[name])
            elif reference is not None:
                agreed += 1  # from_all, choice_from, computed: optimistic
            else:
                agreed += values_agree(value, arguments[name])
        full = agreed == len(plan.arguments) and call.valid and call.answered
        most = (max(most[0], int(full)), max(most[1], agreed), max(most[2], int(call.answered)))
    return most


class _Search:
    """Branch and bound over plan calls in order; score = (matches, agreeing arguments, answered)."""

    def __init__(self, planned: list[PlannedCall], calls: list[ActualCall]) -> None:
        self.planned = planned
        self.calls = calls
        self.remaining: list[Score3] = [(0, 0, 0)] * (len(planned) + 1)  # best possible from each position on
        for position in range(len(planned) - 1, -1, -1):
            most = best_possible(planned[position], calls, planned)
            after = self.remaining[position + 1]
            self.remaining[position] = (after[0] + most[0], after[1] + most[1], after[2] + most[2])
        self.best = Assignment()
        self.best_score: Score3 = (-1, -1, -1)
        self.nodes = 0

    def run(self, position: int, current: Assignment, used: set[int], score: Score3) -> None:
        self.nodes += 1
        if position == len(self.planned):
            if score > self.best_score:
                self.best, self.best_score = Assignment(dict(current.pairs)), score
            return
        left = self.remaining[position]
        bound = (score[0] + left[0], score[1] + left[1], score[2] + left[2])
        if bound <= self.best_score or self.nodes > SEARCH_BUDGET:
            return
        plan = self.planned[position]
        options = [
            make_pair(plan, call, current)
            for call in self.calls
            if call.name == plan.name and call.index not in used
        ]
        options.sort(key=lambda pair: (not pair.matched, -pair.agreed, pair.actual.failed, pair.actual.index))
        for pair in options:
            current.pairs[plan.id] = pair
            used.add(pair.actual.index)
            gained = (pair.matched, pair.agreed, pair.actual.answered)
            self.run(
                position + 1,
                current,
                used,
                (score[0] + gained[0], score[1] + gained[1], score[2] + gained[2]),
            )
            used.discard(pair.actual.index)
            del current.pairs[plan.id]
        self.run(position + 1, current, used, score)
