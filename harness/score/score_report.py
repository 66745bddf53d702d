"""What ``button score`` prints: tables of the summaries, failure reasons and
pass@k/pass^k, the trajectory rows, and the same as one JSON document.

The JSON report is written piece by piece: the run's figures first, then the
lists that grow with the run an item at a time (the tasks, their pass@k, and
the chosen trajectory rows streamed from their temporary file), so even a
report listing every one of a huge run's trajectories is never held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from rich import box
from rich.table import Table

from button.data_model.trajectory import Usage
from harness.score.metric_table import summary_metrics
from harness.score.score_rows import RowSink
from harness.score.summary import PassK, Summaries, Summary

TABLE_KS = 6  # k columns of the pass@k table at most


@dataclass
class Report:
    """Everything a scoring reports besides the scores file."""

    summaries: Summaries
    rows: RowSink
    judge_usage: Usage
    scored: int
    duplicates: int
    planless: bool = False  # no task file: one task per conversation, no strategies

    @property
    def judged(self) -> bool:
        return self.judge_usage.requests > 0 or self.summaries.overall.judge_verdicts > 0


def tables(report: Report) -> Iterator[Table]:
    summaries = report.summaries
    if not report.planless:
        yield summary_table("per task", list(summaries.tasks.values()), report.judged)
        yield summary_table("per strategy", list(summaries.strategies.values()), report.judged)
    yield summary_table("overall", [summaries.overall], report.judged)
    if summaries.reasons():
        yield reasons_table(summaries)
    if summaries.max_trials > 1:
        yield passk_table(summaries)


def summary_table(title: str, summaries: list[Summary], judged: bool) -> Table:
    table = _table(title)
    metrics = summary_metrics()
    numbers = ["n", "succ", *(["judge"] if judged else []), *(m.header for m in metrics)]
    _number_columns(table, numbers)
    for summary in summaries:
        row = [summary.name, str(summary.trajectories), _cell(summary.success_rate)]
        if judged:
            row.append(_cell(summary.judge_success_rate))
        means = summary.means
        row += [_cell(means.get(metric.name), count=metric.count) for metric in metrics]
        table.add_row(*row)
    return table


def reasons_table(summaries: Summaries) -> Table:
    """Per reason: how many trajectories gave it, overall (and its share) and per strategy."""
    table = _table("failure reasons (trajectories)")
    strategies = list(summaries.strategies.values())
    _number_columns(table, ["overall", "share", *(s.name for s in strategies)])
    total = summaries.overall.trajectories
    for reason in summaries.reasons():
        count = summaries.overall.reasons[reason]
        cells = [str(count), _cell(count / total if total else None)]
        cells += [str(s.reasons[reason]) for s in strategies]
        table.add_row(reason, *cells)
    return table


def passk_table(summaries: Summaries) -> Table:
    """Per task (n verdicts, c successes) and overall (the mean over the tasks with at least
    k trials): "pass@k pass^k" per k.

    At most ``TABLE_KS`` k are shown (the smallest, and the largest); --json has them all."""
    ks = summaries.k_values()
    shown = ks if len(ks) <= TABLE_KS else [*ks[: TABLE_KS - 1], ks[-1]]
    table = _table(
        f"pass@k pass^k per k (unbiased, from n trials with c successes; overall: the mean over "
        f"tasks; k = {_list(shown)})"
    )
    _number_columns(table, ["n", "c", *(f"k={k}" for k in shown)])
    for name, values in summaries.task_passes().items():
        task = summaries.tasks[name]
        table.add_row(name, str(task.judged), str(task.successes), *_pass_cells(values, shown))
    table.add_row("overall", "–", "–", *_pass_cells(summaries.overall_passes(), shown))
    return table


def _pass_cells(values: list[PassK], ks: list[int]) -> list[str]:
    by_k = {value.k: value for value in values}
    return [f"{_cell(by_k[k].pass_at_k)} {_cell(by_k[k].pass_hat_k)}" if k in by_k else "–" for k in ks]


def _list(ks: list[int]) -> str:
    return ", ".join(map(str, ks))


def write_json(out: IO[str], head: dict[str, Any], report: Report, limit: int | None) -> None:
    """``head`` and the report as one JSON object. The lists that grow with the run (the
    tasks, their pass@k, the trajectory rows) are written an item a line as they are made."""
    summaries = report.summaries
    fixed: dict[str, Any] = {
        **head,
        "scored": report.scored,
        "duplicates": report.duplicates,
        "overall": summaries.overall.as_json(),
        "strategies": [s.as_json() for s in summaries.strategies.values()],
        "judge_usage": report.judge_usage.model_dump() if report.judge_usage.requests else None,
        "show": report.rows.show.value,
        "failures": report.rows.failures,
        "rows_chosen": report.rows.count,
    }
    out.write("{\n")
    for key, value in fixed.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
    out.write('  "tasks": ')
    _stream(out, (json.dumps(s.as_json()) for s in summaries.tasks.values()))
    out.write(',\n  "pass_k": ')
    if summaries.max_trials <= 1:
        out.write("null")
    else:
        out.write(f'{{"k": {json.dumps(summaries.k_values())}, ')
        out.write(f'"overall": {json.dumps([v.as_json() for v in summaries.overall_passes()])}, "tasks": ')
        pairs = (f"{json.dumps(name)}: {json.dumps(value)}" for name, value in _task_passes_json(summaries))
        _stream(out, pairs, opener="{", closer="}")
        out.write("}")
    out.write(',\n  "trajectories": ')
    _stream(out, (json.dumps(row.as_json()) for row in report.rows.rows(limit)))
    out.write("\n}\n")


def _task_passes_json(summaries: Summaries) -> Iterator[tuple[str, dict[str, Any]]]:
    """(task id, its trials, successes and pass@k/pass^k per k), one task at a time."""
    ks = summaries.k_values()
    for name, task in summaries.tasks.items():
        if task.judged:
            values = [value.as_json() for value in task.passes(ks)]
            yield name, {"trials": task.judged, "successes": task.successes, "values": values}


def _stream(out: IO[str], items: Iterable[str], opener: str = "[", closer: str = "]") -> None:
    """A JSON list of encoded items (or, with braces, an object of encoded members), one a line."""
    out.write(opener)
    for number, text in enumerate(items):
        out.write(("\n    " if number == 0 else ",\n    ") + text)
    out.write(f"\n  {closer}")


def _table(title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", overflow="fold", min_width=12)
    return table


def _number_columns(table: Table, headers: list[str]) -> None:
    for header in headers:  # the name folds on a narrow terminal; numbers and headers stay whole
        table.add_column(header, justify="right", min_width=max(4, len(header)), no_wrap=True)


def _cell(value: float | None, *, count: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if count else f"{value:.2f}"
