"""``button tasks validate|show``: check task files and look at one task."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

from button.data_model.json_types import ToolArguments
from button.data_model.task import FromRef, Task, argument_source
from button.validation.taskfile import load_tasks, read_task_file

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def register(subparsers: Any) -> None:
    tasks = subparsers.add_parser(
        "tasks",
        help="validate task files and show tasks",
        description='Work with task files (JSONL, one task a line, or {"tasks": [...]}).',
        epilog="examples:\n  button tasks validate fixtures/tasks.jsonl\n"
        "  button tasks show fixtures/tasks.jsonl --task travel.flight_then_hotel",
    )
    commands = tasks.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)
    validate = commands.add_parser(
        "validate",
        help="check task files; one summary line per task",
        description="Check every task of each file: fields, JSON Schemas, dependencies, plan.\n"
        "Prints one line per valid task and one error line per problem "
        "(file:line or file: tasks[i], field path, reason).",
        epilog="example:\n  button tasks validate fixtures/tasks.jsonl fixtures/tasks_object.json",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=validate_command)
    show = commands.add_parser(
        "show",
        help="print one task readably",
        description="Print a task: scenario, instruction, subtasks, functions and plan.",
        epilog="example:\n  button tasks show fixtures/tasks.jsonl --task travel.flight_then_hotel",
    )
    show.add_argument("file", metavar="FILE")
    show.add_argument("--task", required=True, metavar="ID", help="the task id")
    show.add_argument("--json", action="store_true", help="print the task as JSON")
    show.set_defaults(handler=show_command)


def validate_command(args: argparse.Namespace) -> int:
    problems = 0
    for path in args.files:
        report = read_task_file(path)
        for task in report.tasks:
            console.print(summary_line(task), markup=False)
        for problem in report.problems:
            stderr.print(f"error: {problem}", markup=False)
        problems += len(report.problems)
        if not report.tasks and not report.problems:
            stderr.print(f"error: {path}: the file holds no tasks", markup=False)
            problems += 1
    return 2 if problems else 0


def summary_line(task: Task) -> str:
    calls = task.planned_calls()
    groups = len(task.plan or [])
    plan = f"{len(calls)} calls in {groups} groups" if task.plan else "no plan"
    return (
        f"ok  {task.id}  {task.strategy.value}  "
        f"{len(task.subtasks)} subtasks  {len(task.functions)} functions  {plan}"
    )


def show_command(args: argparse.Namespace) -> int:
    task = load_tasks(args.file, only=[args.task])[0]
    if args.json:
        console.print_json(task.model_dump_json(exclude_none=True))
    else:
        console.print(render_task(task))
    return 0


def render_task(task: Task) -> Group:
    header = Table.grid(padding=(0, 2))
    # Task text is data, never markup: everything from the task goes through escape().
    header.add_row("[bold]task[/]", escape(task.id))
    header.add_row("[bold]strategy[/]", task.strategy.value)
    header.add_row("[bold]scenario[/]", escape(task.scenario))
    header.add_row("[bold]instruction[/]", escape(task.instruction))

    subtasks = Tree("[bold]subtasks[/]")
    for subtask in task.subtasks:
        after = f"  [dim](after {escape(', '.join(subtask.depends_on))})[/]" if subtask.depends_on else ""
        function = f"  [cyan]{subtask.function}[/]" if subtask.function else ""
        subtasks.add(f"{escape(subtask.id)}: {escape(subtask.instruction)}{function}{after}")

    functions = []
    for spec in task.functions:
        body = {"description": spec.function.description, "parameters": spec.function.parameters}
        if spec.returns is not None:
            body["returns"] = spec.returns
        functions.append(
            Panel(
                Syntax(json.dumps(body, indent=2), "json", word_wrap=True),
                title=spec.name,
                title_align="left",
            )
        )

    plan = Tree("[bold]plan[/]" if task.plan else "[bold]plan[/] [dim](none)[/]")
    for index, group in enumerate(task.plan or [], start=1):
        branch = plan.add(f"group {index}" + (" [dim](parallel)[/]" if len(group) > 1 else ""))
        for call in group:
            branch.add(f"{escape(call.id)}: [cyan]{call.name}[/]({escape(_arguments_text(call.arguments))})")
    return Group(header, subtasks, *functions, plan)


def _arguments_text(arguments: ToolArguments) -> str:
    parts = []
    for key, value in arguments.items():
        source = argument_source(value)
        if source is None:
            parts.append(f"{key}={json.dumps(value)}")
        elif isinstance(source, FromRef):
            parts.append(f"{key}=<{source.text}>")
        else:
            parts.append(f"{key}=<{source.describe()}>")
    return ", ".join(parts)
