"""Run many conversations: bounded concurrency, resume, progress, summary.

``run_tasks`` works out which (task, trial) pairs of its shard the run
directory still lacks and holds them, ``concurrency`` conversations at a time
(``harness.run.pairs``: in this process, or in ``--workers`` processes,
``harness.run.workers``). Finished trajectories
are appended and fsynced as they end (``harness.run.trajectory_sink``), so an
interrupted run loses only the conversations in flight, and a rerun continues
where it stopped. Before a conversation starts,
the run's spending is checked against its budget (``harness.run.run_cost``); once
a cap is reached no new one starts, and the ones running finish. The run's
cost ledger is written to ``cost.json`` at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from button.cost.cost_table import counted
from button.cost.ledger import Ledger
from button.data_model.trajectory import Trajectory, TrajectoryStatus, Usage
from button.errors import RuntimeFailure, clip
from harness.run.pairs import run_pairs
from harness.run.request import RunRequest
from harness.run.run_cost import RunSpend
from harness.run.run_dir import RunDir
from harness.run.trajectory_sink import TrajectorySink


@dataclass
class RunResult:
    out: Path
    trajectories: list[Trajectory]  # made by this invocation
    skipped: int  # already in the run directory
    wall_s: float
    ledger: Ledger = field(default_factory=Ledger)  # the whole run's, as in cost.json
    not_started: int = 0  # conversations a budget cap kept from starting
    stopped: str | None = None  # the cap reached, in words

    def budget_stop(self) -> str | None:
        """Why conversations were left unstarted, or None when none were."""
        if not self.not_started or self.stopped is None:
            return None
        left = counted(self.not_started, "conversation")
        return f"{self.stopped}; {left} not started; rerun with a higher cap to continue"

    def count(self, status: TrajectoryStatus) -> int:
        return sum(1 for t in self.trajectories if t.status == status)

    def usage(self) -> dict[str, Usage]:
        total: dict[str, Usage] = {}
        for trajectory in self.trajectories:
            for role, usage in trajectory.usage.items():
                total.setdefault(role, Usage()).add(usage)
        return total


async def run_tasks(request: RunRequest, *, console: Console | None = None) -> RunResult:
    """Make every missing trajectory of the request (of its shard); return what this call made."""
    started = time.monotonic()
    run_dir = RunDir(request.out)
    made: list[Trajectory] = []
    with run_dir.locked():
        done = run_dir.prepare(request.manifest(), force_new=request.force_new)
        if request.retry_errors and run_dir.drop_errors():
            done = run_dir.done()
        todo = [
            (task, trial)
            for task in request.tasks
            for trial in range(request.trials)
            if (task.id, trial) not in done and request.shard.owns(task.id, trial)
        ]
        costs = RunSpend(request.cost, run_dir.files, request.endpoints)
        if todo and costs.reached() is None:
            with run_dir.writer() as writer, _progress(console, len(todo)) as progress:

                def recorded(trajectory: Trajectory) -> None:
                    made.append(trajectory)
                    costs.record(trajectory)
                    progress.advance(trajectory)

                sink = TrajectorySink(writer, recorded)
                try:
                    if request.workers > 1:
                        from harness.run.workers import run_in_workers

                        await run_in_workers(request, run_dir.run_id, todo, sink, costs)
                    else:
                        await run_pairs(request, run_dir.run_id, todo, sink.record, costs)
                finally:
                    await sink.aclose()
        ledger = costs.write()
        stopped = costs.spend.stopped and (request.cost.budget.reached(ledger) or costs.spend.stopped)
        return RunResult(
            request.out,
            made,
            len(done),
            time.monotonic() - started,
            ledger=ledger,
            not_started=len(todo) - len(made),
            stopped=stopped,  # said with what the run spent in the end
        )


class _RunProgress:
    """Progress: a live bar on a terminal; elsewhere (a batch job's log) a line a conversation."""

    def __init__(self, console: Console | None, bar: Progress | None, total: int) -> None:
        self.console = console
        self.bar = bar
        self.total = total
        self.done = 0
        self.tokens = 0
        self.failed = 0
        self.started = time.monotonic()
        self.task = bar.add_task("conversations", total=total, failed=0, tokens=0) if bar else None

    def advance(self, trajectory: Trajectory) -> None:
        self.done += 1
        self.failed += trajectory.status == TrajectoryStatus.ERROR
        self.tokens += sum(usage.total_tokens for usage in trajectory.usage.values())
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, failed=self.failed, tokens=self.tokens)
        elif self.console is not None:
            elapsed = int(time.monotonic() - self.started)
            self.console.print(
                f"conversations {self.done}/{self.total}: {trajectory.task_id} trial {trajectory.trial} "
                f"{trajectory.status.value}; {self.failed} failed, {self.tokens:,} tokens, "
                f"{elapsed // 60}:{elapsed % 60:02d} elapsed",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


@contextmanager
def _progress(console: Console | None, total: int) -> Iterator[_RunProgress]:
    if console is None or not console.is_terminal:
        yield _RunProgress(console, None, total)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("{task.fields[tokens]:,} tokens"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        yield _RunProgress(console, bar, total)


def summary_table(result: RunResult) -> Table:
    """Statuses, tokens per role and wall time of one invocation."""
    table = Table(title=f"run {result.out}", show_header=True)
    table.add_column("")
    table.add_column("value", justify="right")
    for status in TrajectoryStatus:
        table.add_row(status.value, str(result.count(status)))
    table.add_row("already done (skipped)", str(result.skipped))
    for role, usage in sorted(result.usage().items()):
        table.add_row(
            f"tokens {role}",
            f"{usage.prompt_tokens:,} in + {usage.completion_tokens:,} out ({usage.requests} requests)",
        )
    table.add_row("wall time", f"{result.wall_s:.1f} s")
    return table


def run_failure(result: RunResult, max_error_rate: float | None) -> RuntimeFailure | None:
    """The failure to exit with: every conversation made ended in an error, or more than
    ``max_error_rate`` of them did; None when the run did its job."""
    made = len(result.trajectories)
    errors = [t for t in result.trajectories if t.status == TrajectoryStatus.ERROR]
    if not made or not errors:
        return None
    share = len(errors) / made
    if len(errors) < made and (max_error_rate is None or share <= max_error_rate):
        return None
    limit = "all" if max_error_rate is None else f"more than --max-error-rate {max_error_rate:g}"
    return RuntimeFailure(
        f"{len(errors)} of {made} conversations ended in an error ({limit}); "
        f"first: {errors[0].id}: {clip(errors[0].error or 'no reason recorded', 200)}",
        where=str(result.out),
    )


def next_commands(out: Path) -> list[str]:
    return [f"button score {out}", f"button replay {out}"]
