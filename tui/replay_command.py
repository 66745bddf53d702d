"""``button replay``: open a run (or a trajectories file) in the replay app."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    replay = subparsers.add_parser(
        "replay",
        help="step through recorded conversations in a terminal app",
        description="Open a run directory (trajectories.jsonl, scores.jsonl, manifest.json) or a "
        "trajectories file in a Textual app: the list of trajectories with their scores, and each "
        "conversation step by step, tool calls and results beside the task's plan.\n\n"
        "Plans come from the task file named by the run's manifest.json (tasks_file: absolute, or "
        "relative to the run directory, a directory above it, or the current directory), or from "
        "--tasks. Press ? in the app for its keys.",
        epilog="examples:\n  button replay fixtures/runs/sample\n"
        "  button replay runs/demo/trajectories.jsonl --tasks fixtures/tasks.jsonl\n"
        "  button replay fixtures/runs/sample --task travel.flight_then_hotel",
    )
    replay.add_argument("path", metavar="RUN_DIR_OR_TRAJECTORIES_FILE")
    replay.add_argument("--task", metavar="ID", help="list only this task's trajectories and open the first")
    replay.add_argument("--tasks", metavar="FILE", help="task file with the plans (default: the manifest's)")
    replay.set_defaults(handler=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    from tui.app import make_app

    make_app(args.path, task_id=args.task, tasks_file=args.tasks).run()
    return 0
