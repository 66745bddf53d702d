"""Open what a replay shows: a run directory or a bare trajectories file.

A run directory holds ``trajectories.jsonl``, and maybe ``scores.jsonl`` and
``manifest.json`` (whose ``tasks_file`` gives the plans). A trajectories file
inside a run directory picks up its neighbours the same way. Only a missing
or unreadable trajectories file is an error; scores and tasks that cannot be
read become notices, and the app shows what it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from button.data_model.task import Task
from button.errors import ButtonError, RunFileError
from button.storage.manifest import read_manifest
from button.validation.taskfile import read_task_file
from harness.run.run_dir import MANIFEST, SCORES, TRAJECTORIES, RunManifest, find_tasks_file
from tui.index import TrajectoryIndex
from tui.scores import ScoreIndex


@dataclass
class Run:
    index: TrajectoryIndex
    title: str
    scores: ScoreIndex = field(default_factory=ScoreIndex)  # by trajectory id
    tasks: dict[str, Task] = field(default_factory=dict)  # by task id
    notices: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.index.close()


def open_run(path: str | Path, tasks_file: str | Path | None = None) -> Run:
    """Index the trajectories and load scores and tasks, if there are any."""
    path = Path(path)
    if not path.exists():
        raise RunFileError("no such file or directory", where=str(path))
    trajectories = path / TRAJECTORIES if path.is_dir() else path
    if not trajectories.is_file():
        raise RunFileError(f"no {TRAJECTORIES} in this directory", where=str(path))
    folder = trajectories.parent
    title = folder.resolve().name + ("" if path.is_dir() else f"/{trajectories.name}")
    run = Run(index=TrajectoryIndex(trajectories), title=title)
    if (folder / SCORES).is_file():
        run.scores = ScoreIndex(folder / SCORES, run.notices)
    if tasks_file is None:
        tasks_file = _manifest_tasks_file(folder / MANIFEST, run.notices)
    if tasks_file is not None:
        run.tasks = _load_tasks(Path(tasks_file), run.notices)
    return run


def _manifest_tasks_file(manifest_path: Path, notices: list[str]) -> Path | None:
    """The run's task file by the rule of ``harness.run.run_dir``; problems become notices."""
    if not manifest_path.is_file():
        return None
    try:
        manifest = read_manifest(manifest_path, RunManifest)
    except ButtonError as error:
        notices.append(f"{error}; no plans")
        return None
    if not manifest.tasks_file and not manifest.tasks_file_abs:
        return None
    match = find_tasks_file(manifest, manifest_path.parent)
    if match.path is None:
        notices.append(f"{manifest_path}: tasks_file {manifest.tasks_file!r} not found; no plans")
    elif match.changed:
        notices.append(f"{match.path}: changed since the run (sha256 differs); plans may not match")
    return match.path


def _load_tasks(path: Path, notices: list[str]) -> dict[str, Task]:
    try:
        report = read_task_file(path)
    except ButtonError as error:
        notices.append(f"{error}; no plans")
        return {}
    if report.problems:
        notices.append(
            f"{report.problems[0]} (and {len(report.problems) - 1} more); those tasks have no plan"
        )
    return {task.id: task for task in report.tasks}
