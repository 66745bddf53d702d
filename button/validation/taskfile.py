"""Read task files: JSONL (one task a line) or a JSON object ``{"tasks": [...]}``.

``read_task_file`` returns every task it could build and every problem it
found, each located by file and line (JSONL) or task index (object form) and by
field path. ``load_tasks`` is the strict form the other commands use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from button.data_model.task import Task
from button.errors import TaskFileError
from button.validation import json_keys
from button.validation.task_rules import check_task, json_path


@dataclass
class TaskFileProblem:
    where: str  # "file:line" or "file: tasks[i]"
    field: str
    message: str

    def as_error(self) -> TaskFileError:
        return TaskFileError(f"{self.field}: {self.message}", where=self.where)

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass
class TaskFileReport:
    path: Path
    tasks: list[Task] = field(default_factory=list)
    problems: list[TaskFileProblem] = field(default_factory=list)


def read_task_file(path: str | Path) -> TaskFileReport:
    path = Path(path)
    report = TaskFileReport(path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark (Windows editors) is not content
    except FileNotFoundError as error:
        raise TaskFileError("no such file", where=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise TaskFileError(f"cannot read: {error}", where=str(path)) from error
    seen: dict[str, str] = {}
    for where, raw in _raw_tasks(path, text, report):
        task = _build_task(where, raw, report)
        if task is None:
            continue
        if task.id in seen:
            report.problems.append(
                TaskFileProblem(where, "id", f"duplicate task id {task.id!r} (first at {seen[task.id]})")
            )
            continue
        seen[task.id] = where
        problems = [TaskFileProblem(where, f, m) for f, m in check_task(task)]
        report.problems += problems
        if not problems:
            report.tasks.append(task)
    return report


def load_tasks(path: str | Path, only: list[str] | None = None) -> list[Task]:
    """All tasks of a file (or those with ids in ``only``); raise on the first problem."""
    report = read_task_file(path)
    if report.problems:
        raise report.problems[0].as_error()
    if not report.tasks:
        raise TaskFileError("the file holds no tasks", where=str(path))
    if only:
        known = {task.id for task in report.tasks}
        missing = [task_id for task_id in only if task_id not in known]
        if missing:
            raise TaskFileError(f"no task with id {', '.join(map(repr, missing))}", where=str(path))
        return [task for task in report.tasks if task.id in only]
    return report.tasks


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _raw_tasks(path: Path, text: str, report: TaskFileReport) -> Iterator[tuple[str, Any]]:
    """(where, decoded task) pairs, in file order; parse problems go to ``report``.

    JSONL lines are decoded one at a time as the caller asks for them, so only
    the built tasks stay in memory, not every decoded line at once. A key given
    twice in one object is a problem of its task (JSON would keep the last one
    without a word)."""
    try:
        whole, repeat = json_keys.decode(text)
    except json.JSONDecodeError as error:
        if path.suffix != ".json":
            whole = None  # JSONL: each line is parsed on its own below
        else:
            report.problems.append(_json_problem(path, error.lineno, error))
            return
    if isinstance(whole, dict) and "tasks" in whole:
        if repeat is not None and len(repeat.path) < 2:  # outside the tasks
            report.problems.append(_repeat_problem(str(path), repeat, top="(top level)"))
            return
        tasks = whole["tasks"]
        if not isinstance(tasks, list):
            report.problems.append(TaskFileProblem(str(path), "tasks", "must be a list of tasks"))
            return
        for index, raw in enumerate(tasks):
            where = f"{path}: tasks[{index}]"
            inside = json_keys.first_repeat(raw) if repeat is not None else None
            if inside is None:
                yield where, raw
            else:
                report.problems.append(_repeat_problem(where, inside))
        return
    if path.suffix == ".json":
        report.problems.append(
            TaskFileProblem(str(path), "tasks", 'a .json task file must be an object {"tasks": [...]}')
        )
        return
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            raw, repeat = json_keys.decode(line)
        except json.JSONDecodeError as error:
            report.problems.append(_json_problem(path, number, error))
            continue
        if repeat is not None:
            report.problems.append(_repeat_problem(f"{path}:{number}", repeat))
            continue
        yield f"{path}:{number}", raw


def _repeat_problem(where: str, repeat: json_keys.RepeatedKey, top: str = "(task)") -> TaskFileProblem:
    field = json_path(list(repeat.path)) if repeat.path else top
    return TaskFileProblem(where, field, f"key {repeat.key!r} is given twice (JSON would keep only the last)")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (``str.splitlines`` would hold them all)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def _json_problem(path: Path, line: int, error: json.JSONDecodeError) -> TaskFileProblem:
    return TaskFileProblem(f"{path}:{line}", "(json)", f"bad JSON: {error.msg} (column {error.colno})")


def _build_task(where: str, raw: Any, report: TaskFileReport) -> Task | None:
    if not isinstance(raw, dict):
        report.problems.append(
            TaskFileProblem(where, "(task)", f"must be a JSON object, got {type(raw).__name__}")
        )
        return None
    try:
        return Task.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            report.problems.append(TaskFileProblem(where, json_path(list(item["loc"])), _message(item)))
        return None


def _message(item: Any) -> str:
    message = str(item["msg"])
    if item["type"] in {"missing", "extra_forbidden"}:
        return message
    shown = json.dumps(item.get("input"), default=str)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{message} (got {shown})"
