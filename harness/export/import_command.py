"""``button import FILE``: existing conversations in, as a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

DESCRIPTION = """\
Turn a file of existing conversations (JSONL, one record a line) into a run
directory, so that `button score`, `button export` and `button replay` work on
it as on a run of `button run`. Formats, as `button export` writes them:

  openai    {"messages": [...], "tools": [...]} (tools may be left out)
  sharegpt  LLaMA-Factory ShareGPT: conversations of human, gpt, function_call
            and observation turns; tools as a JSON string; system
  button    BUTTONInstruct (the BUTTON paper's data set): tools in the system
            prompt inside <tool>...</tool>, <call>[...]</call>, tool turns as
            JSON lists of {"name", "arguments", "results"}, <final>...</final>

Every record must be a whole conversation of its format: the first bad one
stops the import with `error: FILE:LINE: WHAT` and nothing is written. Calls of
tools a record does not offer are kept (the scorer counts them as invented).

Ids: a ShareGPT record's trajectory_id and task_id fields, else FILE.ids (the
ids `button export` writes beside OpenAI and BUTTON records), else
<file stem>.<line>. With --tasks, every record's task (the id before its '#')
must be in the task file, and `button score` computes every metric against the
plans; without it, `button score` gives the metrics that need no plan
(validity, invented tools, turns and calls)."""

EPILOG = """\
examples:
  button import data/button_instruct.jsonl --format button --out runs/buttoninstruct
  button import data/smoke.openai.jsonl --format openai --out runs/smoke-again --tasks fixtures/tasks.jsonl
  button score runs/buttoninstruct && button replay runs/buttoninstruct"""


HELP = "turn existing conversations (OpenAI, ShareGPT, BUTTON) into a run directory"


def register(subparsers: Any) -> None:
    from harness.export.export_run import FORMATS

    parser = subparsers.add_parser("import", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("file", metavar="FILE", type=Path, help="JSONL file of conversations")
    parser.add_argument("--format", required=True, choices=sorted(FORMATS), help="record format")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="new run directory, e.g. runs/NAME"
    )
    parser.add_argument("--tasks", type=Path, metavar="FILE", help="task file whose plans the records follow")
    parser.set_defaults(handler=import_command)


def import_command(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from button.errors import RunFileError
    from button.storage.records import count_lines
    from harness.export.import_run import check_out, import_file

    if not args.file.is_file():
        raise RunFileError("no such file", where=str(args.file))
    check_out(args.out)
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=stderr) as progress:
        bar = progress.add_task("import", total=count_lines(args.file))
        report = import_file(
            args.file, args.format, args.out, args.tasks, on_record=lambda: progress.advance(bar)
        )
    console.print(
        f"imported {report.records} conversations ({report.calls} tool calls, {len(report.tasks)} tasks) "
        f"into {report.out}; ids from {report.ids_from}",
        markup=False,
    )
    console.print("next:")
    for command in (f"button score {args.out}", f"button replay {args.out}"):
        console.print(f"  {command}", markup=False)
    return 0
