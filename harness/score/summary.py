"""Running summaries of scores per task, per strategy and overall: fed one score at a
time, so a run of any size is summarised in memory that grows with its tasks, never
with its trajectories.

A summary keeps counts and sums: trajectories, verdicts and successes, per metric
the sum and count of its values (the metrics marked ``summary`` in
``harness.score.metric_table``; a mean leaves out scores where it is None), and how often each failure reason was given. pass@k and pass^k of a task
come from its verdicts (n) and successes (c); see ``harness.score.passk``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from button.data_model.trajectory import Score
from harness.score.metric_table import Metric, summary_metrics
from harness.score.passk import k_values, pass_at_k, pass_hat_k


@dataclass(frozen=True)
class PassK:
    """pass@k and pass^k at one k: per task, or the mean over ``tasks`` tasks."""

    k: int
    pass_at_k: float
    pass_hat_k: float
    tasks: int = 1

    def as_json(self) -> dict[str, object]:
        return {"k": self.k, "pass@k": self.pass_at_k, "pass^k": self.pass_hat_k, "tasks": self.tasks}


@dataclass(slots=True)
class Summary:
    """Counts and sums over the scores added so far."""

    name: str
    trajectories: int = 0
    judged: int = 0  # scores with a success verdict (plan-based or judge): the trials of pass@k
    successes: int = 0
    judge_successes: int = 0
    judge_verdicts: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    metrics: tuple[Metric, ...] = field(default_factory=summary_metrics)
    sums: list[float] = field(init=False)
    counts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.sums = [0.0] * len(self.metrics)
        self.counts = [0] * len(self.metrics)

    def add(self, score: Score) -> None:
        self.trajectories += 1
        if score.success is not None:
            self.judged += 1
            self.successes += score.success
        if score.judge is not None:
            self.judge_verdicts += 1
            self.judge_successes += score.judge.success
        for position, metric in enumerate(self.metrics):
            value = score.metrics.get(metric.name)
            if value is not None:
                self.sums[position] += value
                self.counts[position] += 1
        self.reasons.update(str(reason) for reason in score.reasons)

    @property
    def means(self) -> dict[str, float | None]:
        return {
            metric.name: self.sums[i] / self.counts[i] if self.counts[i] else None
            for i, metric in enumerate(self.metrics)
        }

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.judged if self.judged else None

    @property
    def judge_success_rate(self) -> float | None:
        return self.judge_successes / self.judge_verdicts if self.judge_verdicts else None

    def passes(self, ks: list[int]) -> list[PassK]:
        """pass@k and pass^k over this summary's verdicts, for each of ``ks`` up to their number."""
        n, c = self.judged, self.successes
        return [PassK(k, pass_at_k(n, c, k), pass_hat_k(n, c, k)) for k in ks if k <= n]

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "trajectories": self.trajectories,
            "verdicts": self.judged,
            "successes": self.successes,
            "success_rate": self.success_rate,
            "judge_success_rate": self.judge_success_rate,
            "metrics": self.means,
            "reasons": dict(self.reasons.most_common()),
        }


class Summaries:
    """The summaries of a run: one per task and per strategy (in order of first
    appearance), and one overall."""

    def __init__(self, strategy_of: Mapping[str, str]) -> None:
        self.strategy_of = strategy_of  # task id -> strategy name
        self.tasks: dict[str, Summary] = {}
        self.strategies: dict[str, Summary] = {}
        self.overall = Summary("overall")

    def add(self, score: Score) -> None:
        task = self.tasks.get(score.task_id)
        if task is None:
            task = self.tasks[score.task_id] = Summary(score.task_id)
        strategy_name = self.strategy_of.get(score.task_id, "unknown")
        strategy = self.strategies.get(strategy_name)
        if strategy is None:
            strategy = self.strategies[strategy_name] = Summary(strategy_name)
        for summary in (task, strategy, self.overall):
            summary.add(score)

    @property
    def max_trials(self) -> int:
        """The most verdicts any one task has."""
        return max((task.judged for task in self.tasks.values()), default=0)

    def reasons(self) -> list[str]:
        """Every reason given, most frequent first."""
        return [reason for reason, _ in self.overall.reasons.most_common()]

    def k_values(self) -> list[int]:
        """The k reported for the run: 1, 2, 4, ... and the most verdicts any task has."""
        return k_values(self.max_trials)

    def task_passes(self) -> dict[str, list[PassK]]:
        """Task id -> pass@k and pass^k at each reported k up to its own trials."""
        ks = self.k_values()
        return {name: task.passes(ks) for name, task in self.tasks.items() if task.judged}

    def overall_passes(self) -> list[PassK]:
        """Per reported k: the mean over the tasks with at least k trials."""
        collected: dict[int, list[PassK]] = {}
        for values in self.task_passes().values():
            for value in values:
                collected.setdefault(value.k, []).append(value)
        return [
            PassK(
                k,
                sum(value.pass_at_k for value in values) / len(values),
                sum(value.pass_hat_k for value in values) / len(values),
                tasks=len(values),
            )
            for k, values in sorted(collected.items())
        ]
