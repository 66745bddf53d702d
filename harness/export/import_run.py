"""``button import``: conversations from an existing data set in, as a run directory.

Each line of the file is one record in one of the export formats (OpenAI,
ShareGPT, BUTTON; ``harness.export.export_run.FORMATS``). It is checked by its
format's checker, read into turns by its format's decoder, and written as a
trajectory in OpenAI form (``openai_format.encode``), so ``score``, ``export``
and ``replay`` take it as they take a run of ``button run``. What a checker
refuses only because training data should not hold it (a call of a tool the
record does not offer, keys OpenAI's upload refuses, user messages after the
last answer) is kept: the scorer counts an invented tool as such.

Ids: a ShareGPT record's ``trajectory_id`` and ``task_id`` fields, else the
line of the sidecar file ``FILE.ids`` that ``button export`` writes beside
OpenAI and BUTTON records, else ``<file stem>.<line>#0``. The task id is the
part of a trajectory id before its last ``#``; the trial, the part after it
when that is a number, else the count of earlier records of the task.

With ``--tasks`` every record's task must be in the task file, and the
manifest names it, so ``button score`` computes the plan metrics; without,
``button score`` gives what needs no plan (validity, invented tools, turns and
calls). The first bad record stops the import with its file and line, and
nothing is written: the run is built in a temporary directory beside ``OUT``
and renamed to ``OUT`` only when complete. ``OUT`` must not exist or be empty.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from button import __version__
from button.data_model.json_types import ExportRecord
from button.data_model.trajectory import MessageMeta, MessageSource, Trajectory, TrajectoryStatus
from button.errors import ConfigError, RunFileError
from button.storage.records import iter_lines
from button.validation.taskfile import file_sha256
from harness.export import openai_format
from harness.export.clean_conversation import ConversationError
from harness.export.export_run import FORMATS, sidecar_path
from harness.export.format_protocol import ExportFormat
from harness.run.run_dir import MANIFEST, TRAJECTORIES, ImportRecord, RunManifest
from harness.score.score_run import TaskSet

# problems a checker reports that do not stop a conversation from being scored
TOLERATED = (
    "call of a tool not offered",
    "bad record: keys OpenAI does not accept",
    "turn order: messages after the last assistant answer",
)
SOURCES = {
    "system": MessageSource.SYSTEM,
    "user": MessageSource.USER,
    "assistant": MessageSource.ASSISTANT,
    "tool": MessageSource.TOOL_SERVER,
}


@dataclass
class ImportReport:
    out: Path
    records: int = 0
    calls: int = 0
    ids_from: str = "line numbers"  # "record fields", the sidecar file, or line numbers
    tasks: dict[str, int] = field(default_factory=dict)  # task id -> records


def import_file(
    source: Path,
    format_name: str,
    out: Path,
    tasks_file: Path | None = None,
    on_record: Callable[[], None] | None = None,
) -> ImportReport:
    """Write the records of ``source`` as the run directory ``out`` (all of them, or nothing)."""
    check_out(out)
    tasks = TaskSet.load(tasks_file) if tasks_file is not None else None
    form = FORMATS[format_name]
    ids = _sidecar_ids(source)
    report = ImportReport(out, ids_from=str(sidecar_path(source)) if ids is not None else "line numbers")
    building = out.with_name(f".{out.name}.importing-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        building.mkdir(parents=True)
        seen: dict[str, int] = {}
        run_id = out.resolve().name
        with (building / TRAJECTORIES).open("w", encoding="utf-8") as handle:
            for line, value, problem in iter_lines(source, written_by_us=False):
                where = f"{source}:{line}"
                if value is None:
                    raise RunFileError(problem or "not a record", where=where)
                trajectory_id, task_id = _ids(value, ids, report, source, line)
                if trajectory_id in seen:
                    raise RunFileError(
                        f"trajectory id {trajectory_id!r} repeats line {seen[trajectory_id]}", where
                    )
                seen[trajectory_id] = line
                trajectory = _trajectory(value, form, (trajectory_id, task_id, run_id), report, where)
                if tasks is not None and trajectory.task_id not in tasks.by_id:
                    raise RunFileError(f"task {trajectory.task_id!r} is not in {tasks.file}", where=where)
                handle.write(trajectory.model_dump_json() + "\n")
                report.records += 1
                if on_record:
                    on_record()
        if ids is not None and len(ids) != report.records:
            raise RunFileError(f"{len(ids)} ids, more than the records", where=str(sidecar_path(source)))
        if not report.records:
            raise RunFileError("no records", where=str(source))
        _manifest(source, format_name, out, tasks_file).write(building / MANIFEST)
        if out.is_dir():
            out.rmdir()  # empty, checked above
        building.rename(out)
    except UnicodeDecodeError as error:
        raise RunFileError(
            f"not UTF-8 text: {error.reason} at byte {error.start}", where=str(source)
        ) from error
    except OSError as error:
        raise RunFileError(f"cannot write: {error.strerror or error}", where=str(out)) from error
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return report


def check_out(out: Path) -> None:
    """``out`` may become the run: it does not exist, or is an empty directory."""
    if out.is_dir() and not any(out.iterdir()):
        return
    if out.exists():
        raise ConfigError(f"{out} already exists; give a new run directory", where="--out")


def _sidecar_ids(source: Path) -> list[str] | None:
    path = sidecar_path(source)
    if not path.is_file():
        return None
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise RunFileError(f"unreadable ids: {error}", where=str(path)) from error


def _ids(
    record: ExportRecord, ids: list[str] | None, report: ImportReport, source: Path, line: int
) -> tuple[str, str]:
    """(trajectory id, task id) of a record (see the module doc)."""
    given = record.get("trajectory_id")
    if isinstance(given, str) and given:
        report.ids_from = "record fields"
        task_id = record.get("task_id")
        return given, task_id if isinstance(task_id, str) and task_id else _task_of(given)
    if ids is not None:
        if report.records >= len(ids):
            raise RunFileError(f"{len(ids)} ids, fewer than the records", where=str(sidecar_path(source)))
        return ids[report.records], _task_of(ids[report.records])
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", source.stem).strip(".-") or "import"
    return f"{stem}.{line}#0", f"{stem}.{line}"


def _task_of(trajectory_id: str) -> str:
    return trajectory_id.rpartition("#")[0] or trajectory_id


def _trajectory(
    record: ExportRecord, form: ExportFormat, ids: tuple[str, str, str], report: ImportReport, where: str
) -> Trajectory:
    """The record as a trajectory; ``ids`` are its trajectory, task and run ids."""
    trajectory_id, task_id, run_id = ids
    problems = [p for p in form.check(record) if not p.startswith(TOLERATED)]
    if problems:
        raise RunFileError(problems[0], where=where)
    try:
        turns = form.decode(record)
    except (ConversationError, KeyError, TypeError, ValueError) as error:
        raise RunFileError(f"cannot read the conversation: {error}", where=where) from error
    tools = [  # OpenAI tool objects, whether the record lists tools or bare functions
        tool if "function" in tool else {"type": "function", "function": tool}
        for tool in form.tools(record)
        if isinstance(tool, dict)
    ]
    messages = openai_format.encode(turns, tools)["messages"]
    trial_text = trajectory_id.rpartition("#")[2]
    trial = int(trial_text) if trial_text.isdigit() else report.tasks.get(task_id, 0)
    report.tasks[task_id] = report.tasks.get(task_id, 0) + 1
    report.calls += sum(len(turn.calls) for turn in turns)
    now = time.time()
    return Trajectory(
        id=trajectory_id,
        task_id=task_id,
        trial=trial,
        run_id=run_id,
        tools=tools,
        messages=messages,
        meta=[MessageMeta(source=SOURCES[m["role"]], wall_time=now) for m in messages],
        status=TrajectoryStatus.COMPLETED,
        started_at=now,
        ended_at=now,
    )


def _manifest(source: Path, format_name: str, out: Path, tasks_file: Path | None) -> RunManifest:
    return RunManifest(
        run_id=out.resolve().name,
        created_at=time.time(),
        button_version=__version__,
        imported=ImportRecord(
            file=str(source), file_abs=str(source.resolve()), format=format_name, sha256=file_sha256(source)
        ),
        tasks_file=str(tasks_file) if tasks_file else None,
        tasks_file_abs=str(tasks_file.resolve()) if tasks_file else None,
        tasks_sha256=file_sha256(tasks_file) if tasks_file else None,
    )
