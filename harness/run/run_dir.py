"""A run directory, and the one owner of its layout.

``manifest.json`` (the config, ``RunManifest``), ``trajectories.jsonl``,
``scores.jsonl`` (``scores.shard-I-of-N.jsonl`` from ``button score --shard
I/N``) and ``cost.json`` (the cost ledger, ``harness.run.run_cost``).
The manifest records the task file (path as given, absolute path, SHA-256)
and every setting that shapes a conversation (endpoints without keys, tool
source, turn limit, system prompt, tool choice), plus options (tasks,
trials, concurrency, cache), which may change between reruns. A rerun resumes: the
(task id, trial) pairs already in ``trajectories.jsonl`` are skipped. If a
setting or the task file changed, resuming would mix two experiments in one
file, so it is refused with the name of the setting (``button.storage.manifest``),
unless ``force_new`` moves the old run aside first. ``button run`` holds the directory's lock for
its whole run, so two runs never append to one file.

``button score``, ``button export`` and ``button replay`` find a run with
``locate_run`` and its task file with ``find_tasks_file`` (one rule for all).
A run made by ``button import`` has an ``imported`` block in its manifest and
may have no task file at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from button.cost.ledger import COST_FILE
from button.data_model.trajectory import TrajectoryStatus
from button.errors import ConfigError, RunFileError
from button.llm.endpoints import EndpointRecord
from button.shard import Shard
from button.storage.locks import directory_lock
from button.storage.manifest import Manifest, RecordedManifest, read_manifest, read_recorded
from button.storage.records import RecordWriter, iter_lines, write_atomically
from button.validation.taskfile import file_sha256
from harness.run.assistant_protocol import AssistantProtocol

MANIFEST = "manifest.json"
TRAJECTORIES = "trajectories.jsonl"
SCORES = "scores.jsonl"
SHARD_SCORES_GLOB = "scores.shard-*-of-*.jsonl"

RunKey = tuple[str, int]  # (task id, trial)


def _none(value: object) -> bool:
    return value is None


class ToolsRecord(BaseModel):
    """Where a run's tools were: served in-process, or an MCP server by URL or command."""

    served: str | None = Field(default=None, exclude_if=_none)  # "in-process"
    url: str | None = Field(default=None, exclude_if=_none)  # credentials removed
    command: str | None = Field(default=None, exclude_if=_none)


class RunSettings(BaseModel):
    """What shapes a conversation; a change refuses a resume."""

    endpoints: dict[str, EndpointRecord] = Field(default_factory=dict)  # by role
    tools: ToolsRecord = Field(default_factory=ToolsRecord)
    max_turns: int | None = None
    system_prompt: str | None = None
    tool_choice: str | None = None
    assistant_protocol: AssistantProtocol | None = Field(default=None, exclude_if=_none)  # None: native
    shard: str | None = Field(default=None, exclude_if=_none)  # "I/N" (--shard); None: the whole run


class RunOptions(BaseModel):
    """What may change between reruns of one run."""

    tasks: list[str] | None = None  # the --task ids, if any
    trials: int = 1
    concurrency: int = 1
    tool_cache: bool = True
    workers: int = 1


class ImportRecord(BaseModel):
    """The file a run made by ``button import`` came from."""

    file: str  # as given
    file_abs: str
    format: str
    sha256: str


class RunManifest(Manifest):
    """``manifest.json`` of a run. Every field may be absent from one written by hand."""

    compared: ClassVar[tuple[str, ...] | None] = ("tasks_sha256", "settings")

    run_id: str | None = None
    created_at: float | None = None
    button_version: str | None = None
    tasks_file: str | None = None  # as given
    tasks_file_abs: str | None = None
    tasks_sha256: str | None = None
    settings: RunSettings | None = Field(default=None, exclude_if=_none)  # None: a run of ``button import``
    options: RunOptions | None = Field(default=None, exclude_if=_none)
    imported: ImportRecord | None = Field(default=None, exclude_if=_none)  # ``button import``'s run
    merged_from: list[str] | None = Field(default=None, exclude_if=_none)  # ``button merge``'s shards


@dataclass
class RunFiles:
    """The files of a run found by ``locate_run``; ``manifest`` is None when there is none."""

    trajectories: Path
    scores: Path
    manifest: Path | None

    @property
    def folder(self) -> Path:
        return self.trajectories.parent

    def own(self, path: Path) -> bool:
        """Whether ``path`` is one of the run's own files (which an output must never replace)."""
        mine = [self.trajectories, self.scores, self.folder / MANIFEST, self.folder / COST_FILE]
        return path.resolve() in {own.resolve() for own in mine}


def locate_run(path: str | Path) -> RunFiles:
    """A run directory, or a trajectories file (its scores and manifest go beside it)."""
    path = Path(path)
    if path.is_dir():
        trajectories = path / TRAJECTORIES
        if not trajectories.is_file():
            raise RunFileError(f"no {TRAJECTORIES} here: not a run directory", where=str(path))
    elif path.is_file():
        trajectories = path
    else:
        raise RunFileError("no such run directory or trajectories file", where=str(path))
    manifest = trajectories.parent / MANIFEST
    return RunFiles(trajectories, trajectories.parent / SCORES, manifest if manifest.is_file() else None)


def shard_scores(run: RunFiles, shard: Shard) -> RunFiles:
    """The run with its scores going to the file of one score shard (``button score --shard``)."""
    if shard.whole:
        return run
    return replace(run, scores=run.folder / f"scores.shard-{shard.index}-of-{shard.count}.jsonl")


@dataclass(frozen=True)
class TasksFileMatch:
    """Where a run's task file is: ``path`` is the first candidate whose SHA-256 matches
    the manifest's, else the first that exists (then ``changed``), else None."""

    path: Path | None
    changed: bool = False


def find_tasks_file(manifest: RunManifest, folder: Path) -> TasksFileMatch:
    """The run's task file, by one rule.

    Candidates, in order: ``tasks_file_abs``; ``tasks_file`` relative to the
    run directory and each directory above it (a run records the path it was
    given, usually relative to the repository it ran in); ``tasks_file``
    relative to the current directory. The first whose SHA-256 matches
    ``tasks_sha256`` wins, so an unrelated file of the same name is passed over.
    """
    candidates: list[Path] = []
    if manifest.tasks_file_abs:
        candidates.append(Path(manifest.tasks_file_abs))
    if manifest.tasks_file:
        base = folder.resolve()
        candidates += [directory / manifest.tasks_file for directory in [base, *base.parents, Path.cwd()]]
    expected = manifest.tasks_sha256
    first: Path | None = None
    seen: set[Path] = set()
    for candidate in candidates:
        if not candidate.is_file() or candidate.resolve() in seen:
            continue
        seen.add(candidate.resolve())
        if expected is None or file_sha256(candidate) == expected:
            return TasksFileMatch(candidate)
        first = first or candidate
    return TasksFileMatch(first, changed=first is not None)


def tasks_file_of(run: RunFiles, override: str | None) -> Path | None:
    """``--tasks`` if given; else the manifest's task file, refused if it changed since the run;
    None for a run imported without one (``button import``: there are no plans to score against)."""
    if override:
        return Path(override)
    if run.manifest is None:
        raise ConfigError(f"{run.folder} has no {MANIFEST}: give the task file with --tasks", where="--tasks")
    manifest = read_manifest(run.manifest, RunManifest)
    if not manifest.tasks_file and not manifest.tasks_file_abs:
        if manifest.imported is not None:
            return None
        raise RunFileError("no tasks_file in the manifest; give --tasks", where=str(run.manifest))
    match = find_tasks_file(manifest, run.folder)
    if match.path is None:
        raise RunFileError(
            f"the run's task file {manifest.tasks_file or manifest.tasks_file_abs} is gone; give --tasks",
            where=str(run.manifest),
        )
    if match.changed:
        raise ConfigError(
            f"the task file {match.path} changed since the run (SHA-256 differs); "
            "give --tasks to use it anyway",
            where=str(run.manifest),
        )
    return match.path


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.manifest_path = self.path / MANIFEST
        self.trajectories_path = self.path / TRAJECTORIES

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock (creating it): one ``button run`` at a time."""
        with directory_lock(self.path, "button run"):
            yield

    @property
    def run_id(self) -> str:
        return self.path.resolve().name

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.trajectories_path, self.path / SCORES, self.manifest_path)

    def prepare(self, manifest: RunManifest, *, force_new: bool = False) -> set[RunKey]:
        """Start or resume the run described by ``manifest``; the keys already done.

        Call it inside ``locked()``, which creates the directory."""
        old = self.recorded_manifest()
        if old is not None and force_new:
            self._move_aside()
            old = None
        if old is not None:
            changed = manifest.changed_from(old)
            if changed is not None:
                raise ConfigError(
                    f"the run was made with other settings ({changed}); rerun with the same "
                    "settings to resume, use another --out, or add --force-new to start over here",
                    where=str(self.manifest_path),
                )
            created_at = old.get("created_at")
            if isinstance(created_at, int | float):
                manifest = manifest.model_copy(update={"created_at": float(created_at)})
        manifest.write(self.manifest_path)
        return self.done()

    def recorded_manifest(self) -> RecordedManifest | None:
        """The manifest as the earlier run wrote it, or None for a new run."""
        if not self.manifest_path.exists():
            if self.trajectories_path.exists():
                raise RunFileError(
                    "trajectories without a manifest: not a run of button run", where=str(self.path)
                )
            return None
        return read_recorded(self.manifest_path)

    def done(self) -> set[RunKey]:
        """The (task id, trial) pairs recorded so far."""
        if not self.trajectories_path.exists():
            return set()
        keys: set[RunKey] = set()
        for number, value, problem in iter_lines(self.trajectories_path):
            if value is None or not isinstance(value.get("task_id"), str):
                raise RunFileError(
                    problem or "a record without task_id", where=f"{self.trajectories_path}:{number}"
                )
            trial = value.get("trial", 0)
            if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
                raise RunFileError(
                    f"trial must be a whole number from 0, got {json.dumps(trial)[:40]}",
                    where=f"{self.trajectories_path}:{number}",
                )
            keys.add((value["task_id"], trial))
        return keys

    def drop_errors(self) -> int:
        """Remove the trajectories that ended in an error, so a rerun makes them again."""
        if not self.trajectories_path.exists():
            return 0
        kept: list[str] = []
        dropped = 0
        for _, value, _ in iter_lines(self.trajectories_path):
            if value is not None and value.get("status") == TrajectoryStatus.ERROR.value:
                dropped += 1
            elif value is not None:
                kept.append(json.dumps(value))
        if dropped:
            write_atomically(self.trajectories_path, "".join(line + "\n" for line in kept))
        return dropped

    def writer(self) -> RecordWriter:
        return RecordWriter(self.trajectories_path)

    def _move_aside(self) -> None:
        aside = self.path / time.strftime("superseded-%Y%m%dT%H%M%S", time.gmtime())
        try:
            aside.mkdir()
            for name in (MANIFEST, TRAJECTORIES, SCORES, COST_FILE):
                if (self.path / name).exists():
                    (self.path / name).rename(aside / name)
        except OSError as error:
            raise RunFileError(f"cannot move the old run aside: {error}", where=str(aside)) from error
