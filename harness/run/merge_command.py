"""``button merge``: join the outputs of shards (``--shard I/N``) into one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from button.errors import ConfigError, RuntimeFailure

console = Console(highlight=False, soft_wrap=True)

DESCRIPTION = """\
Join the outputs of N shards into the output one job would have made.

Runs: each SHARD is a run directory of `button run --shard I/N`. They must be
shards of one run: the same task file, settings, --task selection and --trials
(the first difference is refused and named), one shard count, no shard twice.
Every (task, trial) is taken once, with run_id set to OUT's. OUT is an ordinary
run directory: `button score`, `export` and `replay` take it, and `button run`
with the shards' settings (no --shard) and --out OUT resumes it, making only
what is missing. When every shard has a complete scores.jsonl, the scores (judge
verdicts included) are carried over; else score OUT (`button score OUT`).

Synthesis: each SHARD is the task file of `button synth --shard I/N` (its
SHARD.work/ beside it). The same rules for settings and shards; the tasks are
joined in scenario order, and a task whose instruction nearly repeats an
earlier shard's is dropped (shards cannot see each other's rows), as stage 5
drops one within a shard.

Pairs (or whole shards, for synthesis) that no SHARD holds are listed and make
the command exit 1, after writing OUT, unless --allow-missing."""

EPILOG = """\
examples:
  button merge runs/big-0 runs/big-1 runs/big-2 --out runs/big
  button merge runs/big-* --out runs/big --allow-missing
  button merge tasks-0.jsonl tasks-1.jsonl --out tasks.jsonl"""


HELP = "join the outputs of shards (run directories or synthesized task files) into one"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("merge", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("shards", nargs="+", type=Path, metavar="SHARD", help="shard outputs")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="OUT", help="the merged run directory or task file"
    )
    parser.add_argument(
        "--tasks", metavar="FILE", help="runs: the task file (default: the shards' manifest's)"
    )
    parser.add_argument(
        "--allow-missing", action="store_true", help="exit 0 even when some of the work is in no shard"
    )
    parser.set_defaults(handler=merge_command)


def merge_command(args: argparse.Namespace) -> int:
    from simulator.synthesis.merge_synth import is_synth_output

    kinds = {is_synth_output(path) for path in args.shards}
    if len(kinds) > 1:
        raise ConfigError("give run directories or synthesized task files, not both", where="SHARD")
    if kinds == {True}:
        return _merge_synth(args)
    return _merge_runs(args)


def _merge_runs(args: argparse.Namespace) -> int:
    from harness.run.merge_runs import merge_runs

    result = merge_runs(args.shards, args.out, args.tasks)
    console.print(
        f"merged {len(result.per_shard)} shards into {result.out}: {result.taken} of {result.expected} "
        "(task, trial) pairs",
        markup=False,
    )
    for folder, count in result.per_shard.items():
        console.print(f"  {folder}: {count}", markup=False)
    if result.repeated:
        console.print(
            f"  {result.repeated} repeated lines: each pair taken once, from its first", markup=False
        )
    if result.scores_merged:
        console.print(f"scores: carried over to {result.out / 'scores.jsonl'}", markup=False)
    else:
        console.print(
            f"scores: not carried over ({result.scores_note}); next: button score {result.out}", markup=False
        )
    if result.missing and not args.allow_missing:
        shown = ", ".join(f"{task}#{trial}" for task, trial in result.missing[:5])
        more = f" and {len(result.missing) - 5} more" if len(result.missing) > 5 else ""
        raise RuntimeFailure(
            f"{len(result.missing)} of {result.expected} (task, trial) pairs are in no shard: {shown}{more}; "
            f"`button run` with the shards' settings and --out {result.out} makes them "
            "(--allow-missing accepts the gap)",
            where=str(result.out),
        )
    return 0


def _merge_synth(args: argparse.Namespace) -> int:
    from simulator.synthesis.merge_synth import merge_synth

    result = merge_synth(args.shards, args.out)
    console.print(
        f"merged {len(result.per_shard)} of {result.count} shards into {result.out}: {result.kept} tasks",
        markup=False,
    )
    for path, count in result.per_shard.items():
        console.print(f"  {path}: {count}", markup=False)
    for task_id, earlier in result.dropped:
        console.print(f"  dropped {task_id}: its instruction nearly repeats {earlier}'s", markup=False)
    if result.missing and not args.allow_missing:
        raise RuntimeFailure(
            f"no output of shard {', '.join(map(str, result.missing))} (--allow-missing accepts the gap)",
            where=str(result.out),
        )
    return 0
