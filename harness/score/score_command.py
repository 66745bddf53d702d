"""``button score RUN``: score a run's trajectories against their tasks' plans."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from button.cost.budget import add_cost_flags, cost_options
from button.data_model.trajectory import Score, TrajectoryStatus, Usage
from button.llm.endpoints import Role, add_endpoint_flags, endpoint_from_args
from button.shard import add_shard_flag, parse_shard

if TYPE_CHECKING:
    from button.cost.ledger import Ledger
    from harness.score.score_report import Report
    from harness.score.score_run import Duplicate

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

DEFAULT_ROWS = 50  # trajectory rows printed in the terminal unless --rows says otherwise
DUPLICATES_NAMED = 5  # duplicate lines named one by one; the rest are counted

DESCRIPTION = """\
Score every trajectory of a run against its task's plan and write
RUN/scores.jsonl (one score per trajectory, replaced as a whole). Prints one
row per trajectory (--show: the failures by default), then the means per task,
per strategy and overall, how often each failure reason was given, and, when a
task was run more than once, pass@k and pass^k.

Metrics (* in the summary tables; shares from 0 to 1 unless a count):
{metrics}

Success: every plan call matched, in order, with correct data flow, and a
final answer that states the results (see the README, "Scoring"). An LLM
judge runs only when asked (--judge, or
--judge-base-url/--judge-model); it adds a verdict to every score, gates
success for tasks with a plan (a failed verdict fails the trajectory with
judge_failed; a passed one never rescues a failed check) and decides it for
tasks without one. Judge calls run --concurrency at a time; each
verdict is kept as it arrives, so an interrupted judged scoring resumes with
only the unjudged trajectories.

pass@k (at least one of k trials succeeds) and pass^k (all k succeed) use the
unbiased estimators from a task's n trials with a verdict and c successes,
pass@k = 1 - C(n-c,k)/C(n,k) and pass^k = C(c,k)/C(n,k), at k = 1, 2, 4, ...
and the most trials of any task; the run's figure is the mean over the tasks
with at least k trials.

Trajectories are read and scored one at a time, so memory stays bounded for
runs of any size. A trajectory id seen before is warned about and scored once
(its first line).

Cost: the summary ends with the run's cost ledger, written to RUN/cost.json: the
conversations in trajectories.jsonl plus the judge verdicts in scores.jsonl, per role
and model, priced where a price is known. --budget-usd/--budget-tokens cap that
ledger: once reached, no new judgement starts, those running finish and are kept,
scores.jsonl is left as it was and the scoring exits 3; rerun with a higher cap to
continue (every verdict already made is reused).
--shard I/N scores only the trajectories of shard I of N (task id and trial,
as `button run --shard` divides them) into RUN/scores.shard-I-of-N.jsonl, so N
jobs can share a judged scoring of one run; the summary is of that share. Then
`button score RUN` with the same judge joins them: it reuses every verdict the
shard files hold, so no judgement is made twice.

RUN is a run directory (its manifest names the task file) or a
trajectories.jsonl file given with --tasks. A run imported without a task file
(button import) is scored without plans: validity, invented tools, turns and
calls, and the per-task and per-strategy tables are left out."""

EPILOG = """\
examples:
  button score runs/smoke
  button score runs/smoke --show all --rows 0          # every trajectory
  button score runs/smoke --json --show none           # summaries only, as JSON
  button score runs/smoke --judge                      # the embedded model judges
  button score runs/smoke --judge-base-url https://api.openai.com/v1 --judge-model gpt-4o-mini \\
      --concurrency 16
  button score some/trajectories.jsonl --tasks fixtures/tasks.jsonl
  button score runs/big --judge-base-url http://vllm:8000/v1 --judge-model qwen --shard 2/8
  button score runs/big --judge-base-url http://vllm:8000/v1 --judge-model qwen   # joins the 8 shards"""


def register(subparsers: Any) -> None:
    from harness.score.metric_table import metric_help
    from harness.score.score_rows import Show

    parser = subparsers.add_parser(
        "score",
        help="score a run's trajectories against the plans",
        description=DESCRIPTION.format(metrics=metric_help()),
        epilog=EPILOG,
    )
    parser.add_argument("run", metavar="RUN", help="run directory or trajectories.jsonl")
    parser.add_argument("--tasks", metavar="FILE", help="task file (default: the one in the run's manifest)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--show",
        choices=[show.value for show in Show],
        default=Show.FAILURES.value,
        help="trajectory rows to list: all, failures (default: not a success, or ended in an error) or none",
    )
    parser.add_argument(
        "--rows",
        type=int,
        metavar="N",
        help=f"list at most N rows (default {DEFAULT_ROWS}; with --json every chosen row); 0: no limit",
    )
    parser.add_argument(
        "--judge", action="store_true", help="add an LLM judge's verdict (default endpoint: embedded model)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="judge calls at once (default 4)"
    )
    add_cost_flags(parser, "judgement")
    add_shard_flag(parser, "task id and trial, as `button run --shard` divides them")
    add_endpoint_flags(parser, Role.JUDGE)
    parser.set_defaults(handler=score_command)


def score_command(args: argparse.Namespace) -> int:
    from button.cli.interrupts import run_async

    return run_async(_score(args)) or 0


def judge_requested(args: argparse.Namespace) -> bool:
    return bool(args.judge or args.judge_base_url or args.judge_model)


def row_limit(args: argparse.Namespace) -> int | None:
    """How many rows to list; None for all."""
    if args.rows is None:
        return None if args.json else DEFAULT_ROWS
    return args.rows or None


async def _score(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from button.errors import BudgetReached, ConfigError
    from button.llm.client import open_models
    from button.storage.records import count_lines
    from harness.run.run_cost import ScoreSpend, cost_file
    from harness.run.run_dir import locate_run, shard_scores, tasks_file_of
    from harness.score.judge import judge
    from harness.score.score_report import Report, write_json
    from harness.score.score_rows import RowSink, Show
    from harness.score.score_run import TaskSet, score_run
    from harness.score.summary import Summaries

    if args.concurrency < 1:
        raise ConfigError(f"must be at least 1, not {args.concurrency}", where="--concurrency")
    if args.rows is not None and args.rows < 0:
        raise ConfigError(f"must be 0 or more, not {args.rows}", where="--rows")
    shard = parse_shard(args.shard)
    run = shard_scores(locate_run(args.run), shard)
    tasks_file = tasks_file_of(run, args.tasks)
    tasks = TaskSet(None, {}) if tasks_file is None else TaskSet.load(tasks_file)
    if tasks_file is None:
        stderr.print(
            f"note: {run.folder} has no task file: scoring validity, invented tools, turns and calls "
            "(give --tasks for the metrics against the plans)",
            markup=False,
        )
    summaries = Summaries(tasks.strategies())
    usage = Usage()
    duplicates = Duplicates()
    configs = [endpoint_from_args(args, Role.JUDGE)] if judge_requested(args) else []
    costs = ScoreSpend(cost_options(args), run, configs[0] if configs else None)
    columns = [TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with RowSink(Show(args.show)) as rows:

        def written(score: Score, status: TrajectoryStatus) -> None:
            summaries.add(score)
            rows.add(score, status)
            if score.judge is not None:
                usage.add(score.judge.usage)
            costs.written(score)

        async with open_models(configs) as models:
            client = models.get(Role.JUDGE)
            costs.models = models
            if client is not None:
                columns.insert(3, TextColumn("{task.fields[tokens]:,} judge tokens"))
            with Progress(*columns, console=stderr) as progress:
                bar = progress.add_task("score", total=count_lines(run.trajectories), tokens=0)

                def advance(_: object) -> None:
                    tokens = client.usage.total_tokens if client else 0
                    progress.update(bar, advance=1, tokens=tokens)

                def duplicate(found: Duplicate) -> None:
                    duplicates.add(found)
                    advance(found)

                try:
                    scored = await score_run(
                        run,
                        tasks,
                        judge=None if client is None else partial(judge, client),
                        judge_model=client.model if client else None,
                        concurrency=args.concurrency,
                        on_scored=advance,
                        on_written=written,
                        on_duplicate=duplicate,
                        budget=costs.budget,
                        on_read=costs.read,
                        shard=shard,
                        on_passed=advance,
                    )
                except BudgetReached:
                    ledger = costs.write(
                        from_files=True
                    )  # the old scores stay; the new verdicts are in the journal
                    if not args.json:
                        print_cost(ledger, str(cost_file(run)))
                    raise
        duplicates.warn(run.trajectories)
        ledger = costs.write(from_files=not shard.whole)  # a shard's own verdicts are one share
        report = Report(summaries, rows, usage, scored, duplicates.total, planless=tasks_file is None)
        if args.json:
            head = {
                "scores_file": str(run.scores),
                "tasks_file": tasks_file and str(tasks_file),
                "cost": ledger.model_dump(mode="json"),
            }
            write_json(console.file, head, report, row_limit(args))
            return 0
        print_report(report, row_limit(args))
        print_cost(ledger, str(cost_file(run)))
        console.print(f"wrote {scored} scores to {run.scores}", markup=False)
    return 0


def print_cost(ledger: Ledger, where: str) -> None:
    from button.cost.cost_table import cost_table

    console.print(cost_table(ledger, where))


def print_report(report: Report, limit: int | None) -> None:
    from harness.score.score_report import tables
    from harness.score.score_rows import Show, row_lines

    rows = report.rows
    if rows.show is not Show.NONE:
        chosen = "trajectories" if rows.show is Show.ALL else "failures"
        console.print(f"{chosen}: {rows.count}", markup=False)
        for line in row_lines(rows, limit) if rows.count else ():
            console.print(line, markup=False)
        if limit is not None and rows.count > limit:
            console.print(f"... and {rows.count - limit} more (--rows 0 lists them all)", markup=False)
        console.print()
    for table in tables(report):
        console.print(table)


class Duplicates:
    """Lines whose trajectory id an earlier line had: the first few named, all counted."""

    def __init__(self) -> None:
        self.total = 0
        self.named: list[Duplicate] = []

    def add(self, found: Duplicate) -> None:
        self.total += 1
        if len(self.named) < DUPLICATES_NAMED:
            self.named.append(found)

    def warn(self, path: Path) -> None:
        for found in self.named:
            stderr.print(
                f"warning: {path}:{found.line}: trajectory id {found.trajectory_id!r} repeats "
                f"line {found.first_line}; scored once, from line {found.first_line}",
                markup=False,
            )
        if self.total > len(self.named):
            stderr.print(
                f"warning: {path}: {self.total} lines repeat an earlier trajectory id; "
                "each id was scored once, from its first line",
                markup=False,
            )
