"""The end-of-run report: per stage, rows in, kept (``retried``: kept on a later try), dropped
and why, and reused (finished by an earlier run); then the cost ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from button.cost.cost_table import cost_table
from button.cost.ledger import COST_FILE

if TYPE_CHECKING:
    from simulator.synthesis.pipeline import SynthResult


def print_report(console: Console, result: SynthResult, out: Path) -> None:
    table = Table(title="synthesis report", title_justify="left")
    numbers = ("in", "kept", "retried", "dropped", "reused")
    for column in ("stage", *numbers, "why dropped"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for report in result.reports:
        why = ", ".join(f"{reason} ×{count}" for reason, count in report.dropped.most_common())
        if report.not_started:
            why = ", ".join(filter(None, [why, f"not started (budget) ×{report.not_started}"]))
        table.add_row(
            report.title,
            str(report.inputs),
            str(report.kept),
            str(report.retried),
            str(sum(report.dropped.values())),
            str(report.reused),
            why or "-",
        )
    console.print(table)
    console.print(f"model requests this run: {result.requests}")
    console.print(cost_table(result.ledger, str(out.with_name(out.name + ".work") / COST_FILE)))
    if result.stopped is not None:
        console.print(f"not written: {out} (the budget stopped the synthesis)", markup=False)
    elif result.tasks:
        console.print(f"wrote {len(result.tasks)} tasks to {out}")
    else:
        console.print(f"[yellow]no task survived[/]; wrote an empty {out} (see the report above)")
