"""``button serve``: a task's functions as a live MCP server with simulated results."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rich.console import Console

from button.cli.arg_types import command_line, number_in, port_number
from button.cli.interrupts import run_async
from button.data_model.task import Task
from button.errors import ConfigError, InputError
from button.llm.endpoints import Role, add_endpoint_flags, endpoint_from_args
from simulator.sim_cache import DEFAULT_CACHE_PATH, SimCache

if TYPE_CHECKING:
    from button.llm.client import ModelClient

TOKEN_ENV = "BUTTON_SERVE_AUTH_TOKEN"
stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

DESCRIPTION = """\
Serve functions as a live MCP server whose results come from the tool simulator
(a model playing each function, consistent within an episode, cached on disk).

Functions come from a task file (TASKS), an OpenAI tools JSON file (--tools), or
the tool list of an existing MCP server (--twin URL, or --twin -- COMMAND ARGS;
the twin is simulated and never calls the original).

stdio serves one task: choose it with --task when the file holds several. HTTP
serves every chosen task and prints its URLs:
  /mcp                                        the task, when one is served
  /tasks/<task_id>/mcp                        a task's tools
  .../episodes/<episode_id>/mcp               the same, a world of its own
Any other path is a 404 listing the endpoints.

One world (episode) per conversation, whatever the client: a call's `_meta`
"episode_id" names it, else the URL's episode, else the connection: the MCP
session over HTTP, the process over stdio. Endpoints without an episode in the
URL keep sessions, so they refuse the sessionless 2026-07-28 protocol (clients
negotiating "auto" fall back); episode URLs take any version. Each result's
`_meta["button"]` names its episode and the tokens its simulation cost.
"""

EPILOG = """\
examples:
  button serve fixtures/tasks.jsonl --task finance.two_share_prices_then_split
  button serve fixtures/tasks.jsonl --transport http --port 8765
  button serve fixtures/tasks.jsonl --transport http --host 0.0.0.0 --auth-token s3cret
  button serve fixtures/tasks.jsonl --task travel.flight_then_hotel --print-config
  button serve --tools my_tools.json
  button serve --twin http://127.0.0.1:9000/mcp
  button serve --twin -- python my_server.py
  button serve --twin-command 'npx -y @modelcontextprotocol/server-memory'
  button serve fixtures/tasks.jsonl --transport http --print-config   # {"url": ...} entries
  button serve --twin http://127.0.0.1:9000/mcp --compare 5   # how faithful is the twin?
"""


HELP = "serve task functions as an MCP server backed by the tool simulator"


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    serve.add_argument(
        "source",
        nargs="*",
        action=_Positionals,
        metavar="TASKS",
        help="task file (JSONL or JSON); after --twin --: the command",
    )
    serve.add_argument("--task", action="append", metavar="ID", help="serve only this task (repeatable)")
    serve.add_argument("--tools", metavar="FILE", help="serve a JSON list of OpenAI tool objects")
    serve.add_argument(
        "--twin", nargs="?", const="-", metavar="URL", help="serve a simulated twin of an MCP server"
    )
    serve.add_argument(
        "--twin-command",
        type=command_line,
        metavar="CMD",
        help="serve a simulated twin of the stdio MCP server CMD starts (one shell-quoted string)",
    )
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=port_number, default=8765, help="HTTP port; 0 picks a free one (default 8765)"
    )
    serve.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help=f"require 'Authorization: Bearer TOKEN' (needed off loopback) [env {TOKEN_ENV}]",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser Origin to accept besides localhost (repeatable)",
    )
    serve.add_argument("--cache", metavar="PATH", help=f"simulator cache file (default {DEFAULT_CACHE_PATH})")
    serve.add_argument("--no-cache", action="store_true", help="ask the model for every call")
    serve.add_argument(
        "--print-config",
        action="store_true",
        help="print an mcpServers JSON snippet: a command that starts this server (stdio), "
        "or its URLs and token header (--transport http)",
    )
    serve.add_argument(
        "--compare",
        type=number_in(int, 1, 1000),
        metavar="N",
        help="with --twin: do not serve; call each tool of the original and of the twin N times with the "
        "same arguments generated from its input schema, and report schema and result-shape agreement "
        "per tool (this calls the original's tools for real)",
    )
    serve.add_argument("--json", action="store_true", help="with --compare: print the report as JSON")
    add_endpoint_flags(serve, Role.TOOL)
    serve.set_defaults(handler=lambda args: run_async(serve_command(args)), source_after_twin=False)


class _Positionals(argparse.Action):
    """Stores TASKS and notes whether they came after ``--twin`` (then they are its command).

    argparse drops the ``--`` itself; what is left is the order: in ``--twin --
    COMMAND`` the words follow the flag, in ``TASKS --twin`` they precede it.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.source_after_twin = namespace.twin is not None


async def serve_command(args: argparse.Namespace) -> int:
    tasks = await load_sources(args)
    if args.compare is not None:
        return await compare_command(args, tasks[0])
    if args.print_config:
        stdout.print(json.dumps(mcp_config(args, tasks), indent=2), markup=False)
        return 0
    if args.transport == "stdio" and len(tasks) > 1:
        ids = ", ".join(task.id for task in tasks)
        raise ConfigError(f"stdio serves one task; choose one of {ids} with --task ID", where="--task")
    from button.llm.client import open_models
    from mcp_servers.http_app import require_token

    args.auth_token = args.auth_token or os.environ.get(TOKEN_ENV) or None
    if args.transport == "http":
        require_token(args.host, args.auth_token)

    config = endpoint_from_args(args, Role.TOOL)
    cache = None if args.no_cache else await SimCache.open(args.cache or DEFAULT_CACHE_PATH)
    try:
        async with open_models([config]) as clients:
            if args.transport == "stdio":
                await serve_stdio(tasks[0], clients[Role.TOOL], cache)
            else:
                await serve_http_forever(args, tasks, clients[Role.TOOL], cache)
    finally:
        if cache is not None:
            if cache.hits + cache.misses + cache.failures:  # a server that never answered a call says nothing
                failed = f", {cache.failures} failed reads or writes" if cache.failures else ""
                stderr.print(
                    f"simulator cache {cache.path}: {cache.hits} hits, {cache.misses} misses{failed}",
                    markup=False,
                )
            await cache.aclose()
    return 0


async def compare_command(args: argparse.Namespace, twin: Task) -> int:
    """``--compare N``: the twin against its original, tool by tool."""
    from rich.table import Table

    from button.llm.client import open_models
    from mcp_servers.twin_compare import compare_twin

    source = twin_source(args)
    if source is None:
        raise ConfigError(
            "compares a twin with its original: give --twin or --twin-command", where="--compare"
        )
    async with open_models([endpoint_from_args(args, Role.TOOL)]) as clients:
        found = await compare_twin(source, twin, clients[Role.TOOL], args.compare)
    if args.json:
        stdout.print_json(json.dumps([tool.as_json() for tool in found]))
        return 0
    table = Table(title=f"twin of {source if isinstance(source, str) else shlex.join(source)}")
    for column in ("tool", "schema", "result shapes agree", "errors original/twin", "first difference"):
        table.add_column(column)
    for tool in found:
        table.add_row(
            tool.name,
            "same" if not tool.schema_differs else "differs: " + ", ".join(tool.schema_differs),
            f"{tool.shapes_agree}/{tool.calls}",
            f"{tool.original_errors}/{tool.twin_errors}",
            tool.first_difference or "",
        )
    stdout.print(table)
    return 0


def twin_source(args: argparse.Namespace) -> str | list[str] | None:
    """The original of a twin: its URL, or the words of its command; None when no twin is asked for."""
    if args.twin_command:
        return shlex.split(args.twin_command)
    if args.twin == "-":
        return list(args.source)
    return args.twin if args.twin else None


async def load_sources(args: argparse.Namespace) -> list[Task]:
    """The tasks to serve, from exactly one of TASKS, --tools, --twin."""
    from button.validation.taskfile import load_tasks
    from mcp_servers.imports import tools_from_file, twin_of

    chosen = [name for name, given in (("TASKS", args.source and not args.twin), ("--tools", args.tools),
                                       ("--twin", args.twin), ("--twin-command", args.twin_command)) if given]  # fmt: skip
    if len(chosen) != 1:
        raise InputError(
            "give one of TASKS, --tools FILE, --twin URL, --twin -- COMMAND, --twin-command CMD",
            where="button serve",
        )
    if args.twin_command:
        return [await twin_of(shlex.split(args.twin_command))]
    if args.twin == "-" and not (args.source and args.source_after_twin):
        raise InputError(
            "with no URL, give the command that starts the MCP server after --: "
            "button serve --twin -- COMMAND ARGS",
            where="--twin",
        )
    if args.twin and args.twin != "-" and args.source:
        raise InputError(f"a URL takes no TASKS or command; remove {' '.join(args.source)!r}", where="--twin")
    if args.twin:
        return [await twin_of(args.source if args.twin == "-" else args.twin)]
    if args.tools:
        return [tools_from_file(args.tools)]
    if len(args.source) != 1:
        raise InputError("give one task file", where="TASKS")
    return load_tasks(args.source[0], only=args.task)


async def serve_stdio(task: Task, client: ModelClient, cache: SimCache | None) -> None:
    from mcp_servers.repeated_keys import marked_stdin
    from mcp_servers.task_server import build_server
    from simulator.tool_simulator import ToolSimulator

    server = build_server(ToolSimulator(task, client, cache=cache))
    with marked_stdin():
        await server.run_stdio_async(show_banner=False, log_level="WARNING")


async def serve_http_forever(
    args: argparse.Namespace, tasks: list[Task], client: ModelClient, cache: SimCache | None
) -> None:
    from mcp_servers.http_app import serve_http

    async with serve_http(
        tasks,
        client,
        host=args.host,
        port=args.port,
        cache=cache,
        auth_token=args.auth_token,
        allowed_origins=args.allow_origin,
    ) as running:
        stdout.print(f"serving {len(tasks)} task(s) over streamable HTTP; Ctrl-C stops")
        if len(tasks) == 1:
            stdout.print(f"{running.base_url}/mcp", markup=False)
        for task in tasks:
            stdout.print(f"{running.url_for(task.id)}", markup=False)
        sys.stdout.flush()
        await asyncio.Event().wait()


def mcp_config(args: argparse.Namespace, tasks: list[Task]) -> dict[str, Any]:
    """``{"mcpServers": {...}}``, one entry per task, keyed by ``server_key``.

    stdio: the command that starts the server (Claude Desktop, Cursor, the MCP
    Inspector). HTTP: the task's URL on the server these flags start, with the
    bearer token as a header when one is set (Cursor, VS Code, Claude Code).
    """
    from mcp_servers.http_app import base_url
    from mcp_servers.names import server_key

    if args.transport == "http":
        token = args.auth_token or os.environ.get(TOKEN_ENV)
        headers = {"headers": {"Authorization": f"Bearer {token}"}} if token else {}
        root = base_url(args.host, args.port)
        return {
            "mcpServers": {
                server_key(task.id): {"url": f"{root}/tasks/{quote(task.id, safe='')}/mcp", **headers}
                for task in tasks
            }
        }
    base = [sys.executable, "-m", "button.cli.main", "serve"]
    if args.twin_command or args.twin == "-":
        # one word, so no bare "--" that clients such as the Inspector take for their own
        command = args.twin_command or shlex.join(args.source)
        source = [f"--twin-command={command}"]
    elif args.twin:
        source = ["--twin", args.twin]
    elif args.tools:
        source = ["--tools", str(Path(args.tools).resolve())]
    else:
        source = [str(Path(args.source[0]).resolve())]
    extra = (
        ["--no-cache"]
        if args.no_cache
        else ["--cache", str(Path(args.cache or DEFAULT_CACHE_PATH).resolve())]
    )
    extra += tool_endpoint_flags(args)
    servers = {}
    for task in tasks:
        choice = ["--task", task.id] if not (args.twin or args.twin_command or args.tools) else []
        servers[server_key(task.id)] = {"command": base[0], "args": [*base[1:], *extra, *choice, *source]}
    return {"mcpServers": servers}


def tool_endpoint_flags(args: argparse.Namespace) -> list[str]:
    """The tool endpoint as flags, so the printed server samples as this one would.

    Flags and environment are both resolved here: the client that starts the
    server may not have our environment. Keys are never written, only the name
    of the variable that holds one.
    """
    endpoint = endpoint_from_args(args, Role.TOOL)
    flags: list[str] = []
    if endpoint.base_url:
        flags += ["--tool-base-url", endpoint.base_url, "--tool-model", endpoint.model or ""]
    if endpoint.api_key_env != "OPENAI_API_KEY":
        flags += ["--tool-api-key-env", endpoint.api_key_env]
    if endpoint.temperature is not None:
        flags += ["--tool-temperature", str(endpoint.temperature)]
    if endpoint.max_tokens is not None:
        flags += ["--tool-max-tokens", str(endpoint.max_tokens)]
    return flags
