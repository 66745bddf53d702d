"""Join the run directories of shards (``button run --shard I/N``) into one run directory.

The shards must be one experiment: the same task file (SHA-256), the same
settings apart from ``settings.shard``, the same ``--task`` selection and
``--trials``; the first difference is refused and named. Their shard counts
must agree, and no shard may be given twice. Every (task, trial) pair is
taken once: a pair in a shard that does not own it is refused (the file is
not that shard's), a pair seen twice is taken from its first line and
counted. Pairs that no shard holds are reported as missing.

The result is an ordinary run directory: its manifest is the shards' with no
shard (so ``button run`` with the same settings and ``--out`` resumes it and
makes exactly the missing pairs) and ``merged_from`` naming the shards; each
trajectory is as its shard wrote it, with ``run_id`` set to the merged run's.
Scores are carried over when every shard has a ``scores.jsonl`` with one
score per trajectory, in order (a scoring made before the shard's run was
complete is not): then ``scores.jsonl`` is the shards' scores, judge verdicts
included, so ``button score`` on the merged run reuses every verdict. Else no
scores are written and the merged run is scored as any other. ``cost.json`` is
the sum of the shards' ledgers (``sum_ledgers``), each priced as its shard was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from button.cost.ledger import COST_FILE, Ledger, read_ledger, sum_ledgers, write_ledger
from button.cost.prices import PriceBook
from button.data_model.trajectory import Score, Trajectory
from button.errors import ButtonError, ConfigError, RunFileError
from button.shard import WHOLE, Shard, parse_shard, refuse_mixed
from button.storage.locks import LOCK_FILE, directory_lock
from button.storage.manifest import RecordedManifest, read_manifest, read_recorded
from button.storage.records import atomic_writer, iter_lines
from button.validation.taskfile import load_tasks
from harness.run.run_cost import conversations_ledger, cost_file, verdicts_ledger
from harness.run.run_dir import MANIFEST, SCORES, TRAJECTORIES, RunDir, RunManifest, RunOptions, tasks_file_of

RunKey = tuple[str, int]
NAMED = 5  # missing or repeated pairs named one by one; the rest are counted


@dataclass
class ShardRun:
    folder: Path
    recorded: RecordedManifest
    manifest: RunManifest
    shard: Shard

    @property
    def options(self) -> RunOptions:
        return self.manifest.options or RunOptions()


@dataclass
class MergeResult:
    out: Path
    taken: int = 0
    expected: int = 0
    per_shard: dict[str, int] = field(default_factory=dict)  # shard folder -> pairs taken from it
    missing: list[RunKey] = field(default_factory=list)
    repeated: int = 0  # lines whose pair was taken already
    scores_merged: bool = False
    scores_note: str = ""  # why scores were not carried over


def merge_runs(folders: list[Path], out: Path, tasks_override: str | None = None) -> MergeResult:
    """Join the shard runs in ``folders`` into the run directory ``out``."""
    shards = [_read_shard(folder) for folder in folders]
    _check_same_experiment(shards)
    first = shards[0]
    tasks_file = tasks_file_of(RunDir(first.folder).files, tasks_override)
    if tasks_file is None:
        raise RunFileError(
            "an imported run has no task file to merge by; give --tasks", where=str(first.folder)
        )
    tasks = load_tasks(tasks_file, only=first.options.tasks)
    expected = [(task.id, trial) for task in tasks for trial in range(first.options.trials)]
    result = MergeResult(out, expected=len(expected))
    run_id = RunDir(out).run_id
    made_out = not out.exists()
    try:
        with directory_lock(out, "button merge"):
            if (out / MANIFEST).exists() or (out / TRAJECTORIES).exists():
                raise ConfigError("already holds a run: merge into a new directory", where=str(out))
            taken = _write_merged(shards, out, run_id, set(expected), result)
            write_ledger(out / COST_FILE, _shards_ledger(shards))
            merged = _unsharded(first.manifest).model_copy(
                update={
                    "run_id": run_id,
                    "created_at": min((s.manifest.created_at or 0.0) for s in shards),
                    "merged_from": [str(s.folder) for s in shards],
                }
            )
            merged.write(out / MANIFEST)
    except ButtonError:
        if made_out:  # a refused merge leaves nothing behind: the directory the lock made goes
            (out / LOCK_FILE).unlink(missing_ok=True)
            with suppress(OSError):
                out.rmdir()
        raise
    result.taken = len(taken)
    result.missing = [key for key in expected if key not in taken]
    return result


def _shards_ledger(shards: list[ShardRun]) -> Ledger:
    """The merged run's cost ledger: the sum of the shards' (``cost.json``, priced as each shard
    priced it; a shard without one, from its records at the default prices)."""
    total = Ledger()
    for shard in shards:
        files = RunDir(shard.folder).files
        found = cost_file(files)
        if found.exists():
            ledger = read_ledger(found)
        else:
            recorded = sum_ledgers(conversations_ledger(files.trajectories), verdicts_ledger(files.scores))
            ledger = PriceBook().priced(recorded)
        total = sum_ledgers(total, ledger)
    return total


def _read_shard(folder: Path) -> ShardRun:
    path = folder / MANIFEST
    if not path.is_file():
        raise RunFileError(f"no {MANIFEST} here: not a run of button run", where=str(folder))
    manifest = read_manifest(path, RunManifest)
    if manifest.settings is None:
        raise RunFileError("an imported run, not a shard of button run", where=str(path))
    try:
        shard = WHOLE if manifest.settings.shard is None else parse_shard(manifest.settings.shard, env={})
    except ConfigError as error:
        raise RunFileError(f"settings.shard: {error.what}", where=str(path)) from None
    return ShardRun(folder, read_recorded(path), manifest, shard)


def _check_same_experiment(shards: list[ShardRun]) -> None:
    """Refuse shards of different experiments, naming the first setting that differs: the
    task file and the settings as a resume compares them (the shard aside), then the options
    that say which pairs there are (``--task``, ``--trials``), then the shard count."""
    first = shards[0]
    checked: list[tuple[Path, Shard, str | None]] = []
    for shard in shards:
        differs = _unsharded(shard.manifest).changed_from(_unsharded_recorded(first.recorded))
        for option in ("tasks", "trials"):
            before, after = getattr(first.options, option), getattr(shard.options, option)
            if differs is None and before != after:
                differs = f"options.{option}: {json.dumps(before)} -> {json.dumps(after)}"
        checked.append((shard.folder, shard.shard, differs))
    refuse_mixed(checked, "run", shard_field="settings.shard")


def _unsharded(manifest: RunManifest) -> RunManifest:
    settings = manifest.settings.model_copy(update={"shard": None}) if manifest.settings else None
    return manifest.model_copy(update={"settings": settings})


def _unsharded_recorded(recorded: RecordedManifest) -> RecordedManifest:
    settings = recorded.get("settings")
    if not isinstance(settings, dict):
        return recorded
    return {**recorded, "settings": {key: value for key, value in settings.items() if key != "shard"}}


def _write_merged(
    shards: list[ShardRun], out: Path, run_id: str, expected: set[RunKey], result: MergeResult
) -> set[RunKey]:
    """Write the trajectories (and the scores, if every shard's are complete); the pairs taken."""
    taken: set[RunKey] = set()
    missing_scores = [shard.folder for shard in shards if not (shard.folder / SCORES).is_file()]
    with atomic_writer(out / TRAJECTORIES) as trajectories:
        try:
            with atomic_writer(out / SCORES) if not missing_scores else nullcontext(None) as scores_file:
                scores = _Scores(scores_file, run_id)
                for shard in shards:
                    result.per_shard[str(shard.folder)] = _take_shard(
                        shard, run_id, expected, taken, trajectories, scores, result
                    )
                if scores_file is not None and scores.note:
                    raise _Discard
        except _Discard:
            pass  # the scores file is thrown away, the trajectories kept
    result.scores_merged = not missing_scores and not scores.note
    result.scores_note = f"{missing_scores[0]} has no {SCORES}" if missing_scores else scores.note
    return taken


def _take_shard(
    shard: ShardRun,
    run_id: str,
    expected: set[RunKey],
    taken: set[RunKey],
    trajectories: TextIO,
    scores: _Scores,
    result: MergeResult,
) -> int:
    """Copy one shard's trajectories (and scores) not taken yet; how many."""
    shard_scores = _scores_of(shard.folder) if scores.wanted else iter(())
    count = 0
    for where, trajectory in _trajectories_of(shard.folder):
        key = (trajectory.task_id, trajectory.trial)
        if key not in expected:
            raise RunFileError(
                f"trajectory {trajectory.id!r} is not one of the run's (task, trial) pairs", where=where
            )
        if not shard.shard.owns(*key):
            raise RunFileError(
                f"trajectory {trajectory.id!r} belongs to another shard than {shard.shard}", where=where
            )
        if key in taken:
            result.repeated += 1
            continue
        taken.add(key)
        count += 1
        trajectory.run_id = run_id
        trajectories.write(trajectory.model_dump_json() + "\n")
        scores.take(next(shard_scores, None), trajectory.id, shard.folder)
    if scores.wanted and next(shard_scores, None) is not None:
        scores.refuse(f"{shard.folder / SCORES} holds more scores than trajectories")
    return count


class _Scores:
    """The merged scores: kept only while every trajectory taken has its score, in order."""

    def __init__(self, file: TextIO | None, run_id: str) -> None:
        self.file = file
        self.run_id = run_id
        self.note = ""  # why the scores are not carried over

    @property
    def wanted(self) -> bool:
        return self.file is not None and not self.note

    def take(self, score: Score | None, trajectory_id: str, folder: Path) -> None:
        if not self.wanted or self.file is None:
            return
        if score is None or score.trajectory_id != trajectory_id:
            self.refuse(
                f"{folder / SCORES} is not one score per trajectory in order (scored before the run ended?)"
            )
            return
        score.run_id = self.run_id
        self.file.write(score.model_dump_json() + "\n")

    def refuse(self, why: str) -> None:
        self.note = self.note or why


class _Discard(Exception):
    """Raised inside the scores writer to throw its file away."""


def _trajectories_of(folder: Path) -> Iterator[tuple[str, Trajectory]]:
    path = folder / TRAJECTORIES
    for number, value, problem in iter_lines(path):
        where = f"{path}:{number}"
        if problem is not None or value is None:
            raise RunFileError(problem or "bad record", where=where)
        try:
            yield where, Trajectory.model_validate(value)
        except ValidationError as error:
            first = error.errors()[0]
            raise RunFileError(
                f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", where=where
            ) from None


def _scores_of(folder: Path) -> Iterator[Score | None]:
    """A shard's scores in file order; None for a line that is not a score."""
    for _, value, _problem in iter_lines(folder / SCORES):
        try:
            yield Score.model_validate(value)
        except ValidationError:
            yield None
