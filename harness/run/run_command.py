"""``button run``: drive an assistant through tasks over MCP and record the conversations."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from button.cli.arg_types import command_line, number_in
from button.cost.budget import add_cost_flags, cost_options
from button.errors import ConfigError
from button.llm.endpoints import Role, add_endpoint_flags, endpoint_from_args
from button.shard import add_shard_flag, parse_shard

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False)

DESCRIPTION = """\
Run the assistant under test through each task (each --trials times): the user
simulator states the task, the assistant calls the task's tools over MCP, the
tool simulator answers, and the user ends the conversation or --max-turns does.
Each conversation is appended to OUT/trajectories.jsonl as it ends; OUT/manifest.json
holds the config. Rerunning the same command resumes; a changed setting is refused
unless --force-new. One run at a time per OUT: a second is refused while the first
holds OUT/.lock (freed when the first ends, however it ends).

Tools: by default the tasks are served in-process (the same server as `button serve`)
on a free loopback HTTP port, one fresh episode per conversation. --mcp-url or
--mcp-command use any MCP server instead; {task_id} and {episode_id} in them are
filled in per conversation, and a command is started once per conversation.

--assistant-protocol button speaks to the assistant in the BUTTONInstruct text
format, exactly as `button export --format button` writes it: the tools listed
in the system prompt inside <tool>...</tool> (a --system-prompt follows it), its
<call>[{"name", "arguments"}]</call> replies run as tool calls, its
<final>...</final> reply is the answer, and each batch of results goes back as
one tool message, a JSON list of {"name", "arguments", "results"}. The
trajectory is recorded in OpenAI form as with any assistant; a malformed <call>
is recorded as an invalid call and answered with an error.

Unless --<role>-max-tokens says otherwise, completions are capped: the user
simulator's at 256 tokens, the tool simulator's at 512, the embedded assistant's at 256.

Cost: OUT/cost.json is the run's ledger (tokens and requests per role and model, and
their price where known), counted from the recorded conversations and the judge's
verdicts, so a resumed run counts each once. --budget-usd/--budget-tokens cap it:
once reached, no new conversation starts, the running ones finish, and the run exits 3;
rerun with a higher cap to continue."""

EPILOG = """\
examples:
  button run fixtures/tasks.jsonl --out runs/demo --task travel.flight_then_hotel --max-turns 6
  button run tasks.jsonl --out runs/gpt --trials 3 --concurrency 16 \\
      --assistant-base-url https://api.openai.com/v1 --assistant-model gpt-4o-mini
  button run tasks.jsonl --out runs/ext --mcp-url 'http://127.0.0.1:8000/tasks/{task_id}/mcp'
  button run tasks.jsonl --out runs/stdio --mcp-command 'button serve tasks.jsonl --task {task_id}'
  button run tasks.jsonl --out runs/capped --budget-usd 5 --prices prices.toml
  button run tasks.jsonl --out runs/ft --assistant-protocol button \\
      --assistant-base-url http://127.0.0.1:8000/v1 --assistant-model my-button-finetune
  button run tasks.jsonl --out runs/big-1 --shard 1/8 --concurrency 128 --workers 2 \\
      --assistant-base-url http://vllm:8000/v1 --assistant-model qwen  # then: button merge runs/big-* --out runs/big"""


HELP = "run an assistant through tasks over MCP; record trajectories"


def register(subparsers: Any) -> None:
    from button.cli.interrupts import run_async

    parser = subparsers.add_parser("run", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("tasks_file", metavar="TASKS", help='task file (JSONL or {"tasks": [...]})')
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="run directory, e.g. runs/NAME"
    )
    parser.add_argument("--task", action="append", metavar="ID", help="run only this task (repeatable)")
    parser.add_argument(
        "--trials", type=int, default=1, metavar="K", help="conversations per task (default 1)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="conversations at once (default 4)"
    )
    parser.add_argument(
        "--max-turns",
        type=int,
        default=10,
        metavar="T",
        help="assistant messages per conversation (default 10)",
    )
    parser.add_argument(
        "--system-prompt",
        type=Path,
        metavar="FILE",
        help="system prompt for the assistant (default: harness/run/prompts/assistant_system.md)",
    )
    parser.add_argument(
        "--tool-choice",
        choices=["auto", "required", "none"],
        default="auto",
        help="tool_choice sent to the assistant (default auto; native protocol only)",
    )
    parser.add_argument(
        "--assistant-protocol",
        choices=["native", "button"],
        default="native",
        help="how the assistant sees tools and makes calls: native OpenAI tool calling (default), or "
        "button, the BUTTONInstruct text format that `button export --format button` writes "
        "(tools in the system prompt, <call>[...]</call>, <final>...</final>) for models fine-tuned on it",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--mcp-url", metavar="URL", help="use this streamable-HTTP MCP server for the tools")
    source.add_argument(
        "--mcp-command", type=command_line, metavar="CMD", help="start this stdio MCP server per conversation"
    )
    parser.add_argument(
        "--allow-missing-tools",
        action="store_true",
        help="run even when the MCP server lacks some of a task's functions (else an error names them)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not keep simulated tool results in OUT/sim_cache.sqlite"
    )
    parser.add_argument(
        "--force-new", action="store_true", help="move an existing run in OUT aside and start over"
    )
    parser.add_argument(
        "--retry-errors", action="store_true", help="make the conversations that ended in an error again"
    )
    parser.add_argument(
        "--max-error-rate",
        type=number_in(float, 0.0, 1.0),
        default=None,
        metavar="R",
        help="exit 1 when more than this share (0 to 1) of the conversations made ended in an error "
        "(default: only when every one did)",
    )
    add_cost_flags(parser, "conversation")
    add_shard_flag(parser, "task id and trial")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="K",
        help="processes sharing the conversations (and --concurrency) on this machine; the run "
        "directory and the progress display stay one (default 1)",
    )
    add_endpoint_flags(parser, Role.ASSISTANT, Role.USER, Role.TOOL)
    parser.set_defaults(handler=lambda args: run_async(run_command(args)))


async def run_command(args: argparse.Namespace) -> int:
    from button.cost.cost_table import cost_table
    from button.cost.ledger import COST_FILE
    from button.errors import BudgetReached
    from button.llm.client import preflight
    from button.validation.taskfile import file_sha256, load_tasks
    from harness.run.assistant_protocol import AssistantProtocol
    from harness.run.conversation import LoopSettings
    from harness.run.driver import next_commands, run_failure, run_tasks, summary_table
    from harness.run.mcp_tools import ToolSource
    from harness.run.request import RunRequest
    from harness.run.workers import check_workers

    for flag in ("trials", "concurrency", "max_turns", "workers"):
        if getattr(args, flag) < 1:
            raise ConfigError("must be at least 1", where=f"--{flag.replace('_', '-')}")
    if args.mcp_url is not None:
        _check_mcp_url(args.mcp_url)
    protocol = AssistantProtocol(args.assistant_protocol)
    if protocol is not AssistantProtocol.NATIVE and args.tool_choice != "auto":
        raise ConfigError(
            f"applies to the native protocol only, not --assistant-protocol {protocol.value}",
            where="--tool-choice",
        )
    shard = parse_shard(args.shard)
    tasks = load_tasks(args.tasks_file, only=args.task)
    external = args.mcp_url is not None or args.mcp_command is not None
    roles = [Role.ASSISTANT, Role.USER] + ([] if external else [Role.TOOL])
    request = RunRequest(
        tasks_file=args.tasks_file,
        tasks_sha256=file_sha256(args.tasks_file),
        tasks=tasks,
        out=args.out,
        endpoints={role: endpoint_from_args(args, role) for role in roles},
        settings=LoopSettings(
            max_turns=args.max_turns,
            system_prompt=_read_prompt(args.system_prompt, native=protocol is AssistantProtocol.NATIVE),
            tool_choice=args.tool_choice,
            protocol=protocol,
        ),
        tool_source=ToolSource(url=args.mcp_url, command=args.mcp_command) if external else None,
        trials=args.trials,
        concurrency=args.concurrency,
        force_new=args.force_new,
        retry_errors=args.retry_errors,
        selected=args.task,
        tool_cache=not args.no_cache,
        cost=cost_options(args),
        shard=shard,
        workers=args.workers,
    )
    check_workers(request)
    await preflight(list(request.endpoints.values()))
    if request.tool_source is not None:
        from harness.run.mcp_tools import check_tools, describe_missing

        missing = await check_tools(request.tool_source, tasks, allow_missing=args.allow_missing_tools)
        if missing:
            where = f"MCP server {request.tool_source.describe()}"
            stderr.print(f"warning: {where}: lacks {describe_missing(missing)}", markup=False, soft_wrap=True)
    result = await run_tasks(request, console=stderr)
    console.print(summary_table(result))
    console.print(cost_table(result.ledger, str(args.out / COST_FILE)))
    failed = run_failure(result, args.max_error_rate)
    if failed is not None:
        raise failed
    stop = result.budget_stop()
    if stop is not None:
        raise BudgetReached(stop, where=str(args.out))
    console.print("next:")
    for command in next_commands(args.out):
        console.print(f"  {command}", markup=False)
    return 0


def _check_mcp_url(url: str) -> None:
    """An http(s) URL with a host (``{task_id}`` and ``{episode_id}`` may be in its path)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as error:
        raise ConfigError(f"not a URL: {error}", where="--mcp-url") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"{url!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:8000/tasks/{{task_id}}/mcp",
            where="--mcp-url",
        )


DEFAULT_SYSTEM_PROMPT = Path(__file__).parent / "prompts" / "assistant_system.md"


def _read_prompt(path: Path | None, *, native: bool) -> str | None:
    """The assistant's system prompt: the file given, else the default (it helps a small model
    stop calling once it has its results, and costs a large one nothing). A text protocol has
    its own system prompt, which the file given follows; it has no default one."""
    if path is None and not native:
        return None
    path = path or DEFAULT_SYSTEM_PROMPT
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", where=str(path)) from error
