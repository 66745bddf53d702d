"""``button synth``: bottom-up synthesis of compositional tasks from scenarios."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from button.cost.budget import add_cost_flags, cost_options
from button.errors import ConfigError
from button.llm.endpoints import Role, add_endpoint_flags
from button.shard import add_shard_flag, parse_shard

EPILOG = """\
examples:
  button synth --scenarios fixtures/scenarios.txt --out tasks.jsonl --tasks-per-scenario 3
  button synth --conversations fixtures/conversations.jsonl --out from_chats.jsonl
  button synth --n-scenarios 20 --out gen.jsonl --strategies sequential --concurrency 8 \\
      --synth-base-url http://localhost:8000/v1 --synth-model qwen2.5-7b-instruct
  button synth --n-scenarios 8000 --out tasks-3.jsonl --shard 3/16 ...   # then: button merge tasks-*.jsonl --out tasks.jsonl

Work is kept in OUT.work/ (one JSONL file per stage and manifest.json); rerun the
same command to resume, --force-new to start again. The result loads with
`button tasks validate OUT`.

OUT.work/cost.json is the synthesis's cost ledger, summed over its recorded rows.
--budget-usd/--budget-tokens cap it: once reached, no new row starts, the running
ones finish and are kept, OUT is not written and synth exits 3; rerun with a higher
cap to continue.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="synthesize compositional tasks from scenarios (bottom-up)",
        description="Scenarios -> atomic tasks (verified) -> compositional tasks, sequential or "
        "parallel-then-sequential (verified) -> user instruction -> one function per atomic task "
        "-> plan. Writes a task file; reports per stage what was kept and dropped, and why.",
        epilog=EPILOG,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenarios", type=Path, metavar="FILE", help="scenarios, one a line (# comments)")
    source.add_argument(
        "--conversations",
        type=Path,
        metavar="FILE",
        help="JSONL of conversations, one a line, to extract one scenario each from: "
        '{"messages": [OpenAI chat messages]} (a run\'s trajectories.jsonl works) or ShareGPT '
        '{"conversations": [{"from": "human", "value": "..."}]}. A malformed line stops the run '
        "before any model call (error: FILE:LINE: what); a conversation where the user says "
        "nothing is dropped, with the reason in the report",
    )
    source.add_argument("--n-scenarios", type=int, metavar="N", help="generate N scenarios with the model")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="the task file to write")
    parser.add_argument(
        "--tasks-per-scenario",
        type=int,
        default=3,
        metavar="K",
        help="atomic tasks per scenario, each composed into one task (default 3)",
    )
    parser.add_argument(
        "--tries",
        type=int,
        default=3,
        metavar="N",
        help="times a composition, instruction or set of functions is written before its row is "
        "dropped, while a rule or the schema refuses it; each try has its own seeds and is told "
        "why the last was refused, and a model's verdict is never asked again; a set of "
        "functions keeps the ones an earlier try had accepted (default 3)",
    )
    parser.add_argument(
        "--strategies",
        default="sequential,parallel-then-sequential",
        metavar="LIST",
        help="composition strategies, comma-separated, used in turn (default both)",
    )
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="model calls in flight")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for domains and strategy order; every model call is sent a sampling seed "
        "derived from it and the row, so a resumed row is asked exactly as before (default 0)",
    )
    parser.add_argument("--force-new", action="store_true", help="discard OUT.work/ and start afresh")
    add_cost_flags(parser, "row")
    add_shard_flag(parser, "scenario")
    add_endpoint_flags(parser, Role.SYNTH)
    parser.set_defaults(handler=synth_command)


def synth_command(args: argparse.Namespace) -> int:
    from button.cli.interrupts import run_async

    return run_async(_synth(args)) or 0


async def _synth(args: argparse.Namespace) -> int:
    from rich.console import Console

    from button.data_model.task import Strategy
    from button.llm.endpoints import endpoint_from_args
    from simulator.synthesis.pipeline import SynthConfig, synthesize
    from simulator.synthesis.synth_report import print_report

    strategies = []
    for name in (part.strip() for part in args.strategies.split(",")):
        if name not in {Strategy.SEQUENTIAL.value, Strategy.PARALLEL_THEN_SEQUENTIAL.value}:
            raise ConfigError(
                f"unknown strategy {name!r} (sequential, parallel-then-sequential)", where="--strategies"
            )
        strategies.append(Strategy(name))
    for flag, value in (
        ("--tasks-per-scenario", args.tasks_per_scenario),
        ("--concurrency", args.concurrency),
        ("--tries", args.tries),
        ("--n-scenarios", args.n_scenarios if args.n_scenarios is not None else 1),
    ):
        if value < 1:
            raise ConfigError("must be at least 1", where=flag)
    config = SynthConfig(
        out=args.out,
        endpoint=endpoint_from_args(args, Role.SYNTH),
        scenarios_file=args.scenarios,
        conversations_file=args.conversations,
        n_scenarios=args.n_scenarios or 0,
        tasks_per_scenario=args.tasks_per_scenario,
        tries=args.tries,
        strategies=tuple(dict.fromkeys(strategies)),
        concurrency=args.concurrency,
        seed=args.seed,
        force_new=args.force_new,
        shard=parse_shard(args.shard),
    )
    console = Console(stderr=True, highlight=False)
    result = await synthesize(config, console, cost_options(args))
    print_report(console, result, config.out)
    if result.stopped is not None:
        raise result.stopped
    return 0
