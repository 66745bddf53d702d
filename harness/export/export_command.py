"""``button export RUN``: write chosen trajectories as fine-tuning data."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from button.data_model.trajectory import TrajectoryStatus

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

DESCRIPTION = """\
Write a run's trajectories as fine-tuning data, one record a line:

  openai    {"messages": [...], "tools": [...]}: OpenAI chat fine-tuning format
  sharegpt  LLaMA-Factory ShareGPT: conversations of human, gpt, function_call
            and observation turns; tools as a JSON string; system
  button    BUTTONInstruct: tools listed in the system prompt inside <tool>...</tool>,
            calls as <call>[{"name", "arguments"}]</call>, tool turns as a JSON list
            of {"name", "arguments", "results"}, the final answer (the first reply
            after the last calls) in <final>...</final>, which ends the record; a
            question to the user before it stays plain text

Every record can be traced to its trajectory: sharegpt records carry
trajectory_id and task_id fields; openai and button records cannot carry
extra keys, so OUT.ids lists their trajectory ids, one a line in record order.

Every record is checked before it is written (each tool call answered, ids
unique, turn order valid for the format, only offered tools called); the
report counts the records written and skipped, with the reasons. Filters on
scores (--successful, --min-score) need RUN/scores.jsonl (button score)."""

EPILOG = """\
examples:
  button export runs/smoke --format openai --out data/smoke.openai.jsonl
  button export runs/smoke --format sharegpt --out data/smoke.sharegpt.jsonl --successful
  button export runs/smoke --format button --out data/b.jsonl --status completed --min-score f1=0.8"""


HELP = "write trajectories as fine-tuning data"


def register(subparsers: Any) -> None:
    from harness.export.export_run import FORMATS

    parser = subparsers.add_parser("export", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("run", metavar="RUN", help="run directory or trajectories.jsonl")
    parser.add_argument("--format", required=True, choices=sorted(FORMATS), help="record format")
    parser.add_argument("--out", required=True, metavar="FILE", help="output JSONL file (replaced)")
    parser.add_argument(
        "--status",
        action="append",
        choices=[status.value for status in TrajectoryStatus],
        help="keep trajectories with this status (repeatable; default: all)",
    )
    parser.add_argument("--successful", action="store_true", help="keep only scores with success true")
    parser.add_argument(
        "--min-score",
        metavar="[METRIC=]S",
        help="keep scores with METRIC >= S (default metric f1; any metric of button score, or success)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from button.storage.records import count_lines
    from harness.export.export_run import Filters, export, parse_min_score
    from harness.run.run_dir import locate_run

    run = locate_run(args.run)
    filters = Filters(
        statuses=frozenset(args.status or []),
        successful=args.successful,
        min_score=parse_min_score(args.min_score) if args.min_score else None,
    )
    with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=stderr) as progress:
        bar = progress.add_task("export", total=count_lines(run.trajectories))
        report = export(run, Path(args.out), args.format, filters, on_record=lambda: progress.advance(bar))
    if args.json:
        summary = {
            "out": args.out,
            "format": args.format,
            "ids": str(report.sidecar) if report.sidecar else None,
            "written": report.written,
            "skipped": dict(report.skipped),
            "examples": report.examples,
        }
        console.print_json(json.dumps(summary))
        return 0
    console.print(f"wrote {report.written} records to {args.out} ({args.format})", markup=False)
    if report.sidecar:
        console.print(f"wrote their trajectory ids to {report.sidecar}", markup=False)
    for kind, count in report.skipped.most_common():
        console.print(f"skipped {count}: {kind} (e.g. {report.examples[kind]})", markup=False)
    return 0
