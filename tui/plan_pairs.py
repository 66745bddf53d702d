"""Which actual call each plan call was paired with, and whether it matched.

The score's own pairing is used when it has one (``details["pairs"]``, as
``button score`` writes it). Without it (the run is not scored yet, or an
older score), the pairing is computed here with the scorer's matching, so the
panel shows the same thing either way; it says which of the two it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from button.data_model.task import PlannedCall, Task
from button.data_model.trajectory import Score
from harness.score.matching import assign
from tui.shown_calls import ShownCall

FROM_SCORE = "pairing from scores.jsonl"
COMPUTED = "pairing computed now with the scorer's matching (no score has one)"


@dataclass(frozen=True)
class PlanMatch:
    group: int  # 0-based plan group
    call: PlannedCall
    actual: ShownCall | None  # the paired call
    disagreeing: tuple[str, ...] = ()  # planned arguments the paired call did not agree with

    @property
    def matched(self) -> bool:
        return self.actual is not None and not self.disagreeing


@dataclass(frozen=True)
class PlanMatching:
    matches: list[PlanMatch]
    source: str  # FROM_SCORE or COMPUTED
    unplanned: list[ShownCall]  # calls paired with no plan call


def match_plan(task: Task, calls: list[ShownCall], score: Score | None) -> PlanMatching:
    pairs = _recorded_pairs(score)
    source = FROM_SCORE
    if pairs is None:
        assignment = assign(task, [shown.call for shown in calls])
        pairs = {
            plan_id: (pair.actual.call_id, pair.disagreeing) for plan_id, pair in assignment.pairs.items()
        }
        source = COMPUTED
    by_id = {shown.id: shown for shown in calls}
    matches = []
    for group, planned in enumerate(task.plan or []):
        for call in planned:
            call_id, disagreeing = pairs.get(call.id, (None, ()))
            matches.append(PlanMatch(group, call, by_id.get(call_id or ""), disagreeing))
    used = {match.actual.id for match in matches if match.actual is not None}
    return PlanMatching(matches, source, [shown for shown in calls if shown.id not in used])


def _recorded_pairs(score: Score | None) -> dict[str, tuple[str | None, tuple[str, ...]]] | None:
    """plan call id -> (tool call id, disagreeing arguments), from a score's details."""
    if score is None or score.details.pairs is None:
        return None
    return {pair.plan: (pair.call, tuple(pair.disagreeing)) for pair in score.details.pairs}
