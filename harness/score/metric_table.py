"""Every metric of a score, once: its name, what it means and how it is shown.

``harness.score.metrics`` computes the values; everything that shows them
reads this table: the summaries (``harness.score.summary``: the metrics
marked ``summary``), the tables and rows of ``button score``
(``harness.score.score_report``, ``harness.score.score_rows``: headers, and the metrics
marked ``row``) and ``button score --help``. A new metric is computed in
``metrics.py`` and described here; nothing else changes. This module imports
nothing heavy, so ``button --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str  # the key in ``Score.metrics``
    header: str  # its column in the tables
    help: str  # one line for ``button score --help``
    count: bool = False  # a count (shown with one decimal), not a share in [0, 1]
    summary: bool = False  # averaged per task, per strategy and overall
    row: bool = False  # shown in each trajectory's row


METRICS: tuple[Metric, ...] = (
    Metric("precision", "prec", "matched calls over the calls made"),
    Metric("recall", "rec", "matched calls over the plan's calls"),
    Metric("f1", "f1", "of precision and recall", summary=True, row=True),
    Metric("order", "order", "paired calls made after the results they need", summary=True, row=True),
    Metric("data_flow", "flow", "references to earlier results carried right", summary=True, row=True),
    Metric("parallelism", "par", "parallel plan groups called in one message", summary=True),
    Metric("validity", "valid", "calls whose arguments fit the offered tool", summary=True, row=True),
    Metric("invented_tools", "invented", "calls of tools that were not offered", count=True),
    Metric("grounding", "ground", "result values the final answer states", summary=True, row=True),
    Metric("call_efficiency", "call eff", "plan calls over calls made, at most 1"),
    Metric("turn_efficiency", "turn eff", "(plan groups + 1) over assistant turns, at most 1"),
    Metric("assistant_turns", "turns", "assistant messages", count=True, summary=True),
    Metric("tool_calls", "calls", "tool calls made", count=True, summary=True, row=True),
)


def summary_metrics() -> tuple[Metric, ...]:
    return tuple(metric for metric in METRICS if metric.summary)


def row_metrics() -> tuple[Metric, ...]:
    return tuple(metric for metric in METRICS if metric.row)


def metric_help() -> str:
    """The metrics as ``--help`` lists them, one a line; * marks those in the summary tables."""
    width = max(len(metric.name) for metric in METRICS)
    return "\n".join(
        f"  {metric.name:<{width}} {'*' if metric.summary else ' '} {metric.help}" for metric in METRICS
    )
