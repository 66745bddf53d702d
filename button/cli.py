"""The ``button`` program: one subcommand per arrow of the flow.

Each subcommand lives in the package that does its work, in a module with a
``register(subparsers)`` function that adds its parser and sets ``handler``.
Those modules import their heavy dependencies inside the handler, so
``button --help`` stays fast. Errors we raise on purpose print as
``error: WHERE: WHAT`` with exit code 2 (bad input) or 1 (failure at run
time), and a budget cap that stopped new work as ``stopped: WHERE: WHAT`` with
exit code 3; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from rich.console import Console

from button import __version__
from button.errors import ButtonError
from button.redact import clean

# subcommand module, in the order of the flow
COMMAND_MODULES = [
    "button.cli_tasks",
    "button.cli_model",
    "simulator.cli_synth",
    "mcp_servers.cli",
    "harness.cli_run",
    "harness.cli_score",
    "harness.cli_export",
    "harness.cli_import",
    "tui.cli",
]

EPILOG = """\
examples:
  button tasks validate fixtures/tasks.jsonl
  button model check
  button model serve --port 8080

Every role's model is the embedded SmolLM2-135M-Instruct unless
--<role>-base-url/--<role>-model (or BUTTON_<ROLE>_BASE_URL/_MODEL) say otherwise.
"""

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in descriptions and epilogs as written."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="button",
        description="Compositional multi-turn function calling: synthesize tasks, serve "
        "simulated tools over MCP, run and score assistants, export training data.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"button {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def run_async(coroutine: Coroutine[Any, Any, int | None]) -> int | None:
    """Run a command's coroutine on one event loop.

    SIGTERM stops it as Ctrl-C does: the coroutine is cancelled and unwinds, so
    its context managers stop servers and close files, then the command ends as
    interrupted.
    """
    return asyncio.run(_stoppable(coroutine))


async def _stoppable(coroutine: Coroutine[Any, Any, int | None]) -> int | None:
    task = asyncio.current_task()
    assert task is not None
    terminated = asyncio.Event()

    def on_sigterm() -> None:
        terminated.set()
        task.cancel()

    loop = asyncio.get_running_loop()
    handles_signals = threading.current_thread() is threading.main_thread()  # the CLI run in a thread (tests)
    if handles_signals:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        return await coroutine
    except asyncio.CancelledError:
        if terminated.is_set():
            raise KeyboardInterrupt from None
        raise
    finally:
        if handles_signals:
            loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        return handler(args) or 0
    except ButtonError as error:
        if args.debug:
            traceback.print_exc()
        stderr.print(f"{error.label}: {clean(str(error))}", markup=False)
        return error.exit_code
    except KeyboardInterrupt:
        stderr.print("interrupted: stopped cleanly")
        return 130
    except RecursionError:
        # Last resort: a value nested deeper than Python can walk (a JSON value 100,000 levels deep).
        if args.debug:
            traceback.print_exc()
        stderr.print(f"error: {args.command}: an input value is nested too deeply to read", markup=False)
        return 2
    except OSError as error:
        # Last resort: a file or socket problem no command mapped to its own error.
        if args.debug:
            traceback.print_exc()
        where = error.filename or "system"
        stderr.print(f"error: {where}: {error.strerror or error}", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
