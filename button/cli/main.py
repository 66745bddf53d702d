"""The ``button`` program: one subcommand per arrow of the flow.

Each subcommand lives in the package that does its work, in a module with a
``register(subparsers)`` function that adds its parser and sets ``handler``;
nothing imports this module back (imports run one way). Every parser made
under it is an ``ArgumentParser`` of this module, so each keeps its examples
as written and reports a usage error on one line.
Those modules import their heavy dependencies inside the handler, so
``button --help`` stays fast. Errors we raise on purpose print as
``error: WHERE: WHAT`` with exit code 2 (bad input; a usage error too, on
one line) or 1 (failure at run time), and a budget cap that stopped new work
as ``stopped: WHERE: WHAT`` with exit code 3; ``--debug`` shows the traceback
instead. SIGINT and SIGTERM end any command with one line and 128 + the
signal's number (``button.cli.interrupts``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rich.console import Console

from button import __version__
from button.cli import interrupts
from button.cli.interrupts import Stopped
from button.errors import ButtonError
from button.redact import clean

# subcommand module, in the order of the flow
COMMAND_MODULES = [
    "button.cli.tasks_command",
    "button.cli.model_command",
    "simulator.synthesis.synth_command",
    "mcp_servers.serve_command",
    "harness.run.run_command",
    "harness.score.score_command",
    "harness.run.merge_command",
    "harness.export.export_command",
    "harness.export.import_command",
    "tui.replay_command",
]

EPILOG = """\
examples:
  button tasks validate fixtures/tasks.jsonl
  button model check
  button model serve --port 8080

Every role's model is the embedded Qwen2.5-Coder-1.5B-Instruct unless
--embedded NAME|FILE.gguf, or --<role>-base-url/--<role>-model (or
BUTTON_<ROLE>_BASE_URL/_MODEL), say otherwise.
"""

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in descriptions and epilogs as written."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a usage error on one line, ``error: WHERE: WHAT (see: PROG --help)``, exit 2.

    argparse prints the usage before its error; the usage is one ``--help`` away.
    Subcommands' parsers are of this class too (argparse makes them so), and
    each leaves its ``prog`` in the namespace, so that arguments no parser took
    are reported against the subcommand that was given them (``parse``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.set_defaults(parsed_by=self.prog)

    def error(self, message: str) -> NoReturn:
        where, what = self.prog, message
        named = re.match(r"argument ([^:]+): (.*)", message, re.DOTALL)
        if named is not None:
            where, what = named[1].split("/")[-1], named[2]
        usage_error(self.prog, where, what)

    def parse(self, argv: Sequence[str] | None) -> argparse.Namespace:
        args, unknown = self.parse_known_args(argv)
        if unknown:
            prog = args.parsed_by
            usage_error(prog, " ".join(unknown), f"not an argument of {prog}")
        return args


def usage_error(prog: str, where: str, what: str) -> NoReturn:
    stderr.print(f"error: {where}: {' '.join(what.split())} (see: {prog} --help)", markup=False)
    sys.exit(2)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="button",
        description="Compositional multi-turn function calling: synthesize tasks, serve "
        "simulated tools over MCP, run and score assistants, export training data.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"button {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with interrupts.handled():
        try:
            args = build_parser().parse(argv)
            interrupts.set_debug(args.debug)
            return _run(args)
        except KeyboardInterrupt as stop:  # a stop signal, or a Ctrl-C our handlers did not see (a thread)
            stopped = stop if isinstance(stop, Stopped) else Stopped(signal.SIGINT)
            stderr.print(stopped.line(), markup=False)
            return stopped.exit_code


def _run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        return handler(args) or 0
    except ButtonError as error:
        if args.debug:
            traceback.print_exc()
        stderr.print(f"{error.label}: {clean(str(error))}", markup=False)
        return error.exit_code
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
