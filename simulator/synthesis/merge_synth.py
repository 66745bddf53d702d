"""Join the task files of synthesis shards (``button synth --shard I/N``) into one.

A shard's output is its task file ``OUT`` with its work dir ``OUT.work/``
beside it, whose ``manifest.json`` holds the config the work depends on. The
shards must agree on every key of it but ``shard``, and on the shard count; a
shard given twice is refused. The tasks are joined in the order one job would
have written them (by scenario, then atomic task: ``key_order``). Rows are
checked for near-duplicates only within their shard, so the join applies the
last such check, stage 5's on the instruction, across shards: a task whose
instruction nearly repeats an earlier task's is dropped and named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from button.errors import ConfigError, RunFileError
from button.shard import WHOLE, Shard, parse_shard, refuse_mixed
from button.storage.manifest import RecordedManifest, read_recorded
from button.storage.records import write_atomically
from simulator.synthesis.atomic import key_order
from simulator.synthesis.pipeline import SynthManifest
from simulator.synthesis.rows import TaskJson
from simulator.synthesis.text_rules import NearDuplicates

MANIFEST = "manifest.json"


def work_dir_of(out: Path) -> Path:
    return out.with_name(out.name + ".work")


def is_synth_output(path: Path) -> bool:
    """Whether ``path`` is a task file made by ``button synth`` (its work dir is beside it)."""
    return path.is_file() and (work_dir_of(path) / MANIFEST).is_file()


@dataclass
class SynthShard:
    out: Path
    manifest: RecordedManifest
    shard: Shard


@dataclass
class SynthMergeResult:
    out: Path
    count: int  # the shard count
    kept: int = 0
    per_shard: dict[str, int] = field(default_factory=dict)  # task file -> tasks it gave
    missing: list[Shard] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (task id, the earlier task id)


def merge_synth(paths: list[Path], out: Path) -> SynthMergeResult:
    shards = [_read(path) for path in paths]
    _check_same_config(shards)
    count = shards[0].shard.count
    result = SynthMergeResult(out, count)
    have = {shard.shard.index for shard in shards}
    result.missing = [Shard(index, count) for index in range(count) if index not in have]
    rows: list[tuple[tuple[int, int], str, TaskJson]] = []
    for shard in shards:
        tasks = _tasks_of(shard.out)
        result.per_shard[str(shard.out)] = len(tasks)
        rows += [(key_order(task["id"]), task["id"], task) for task in tasks]
    seen_ids: set[str] = set()
    instructions = NearDuplicates()
    kept: list[TaskJson] = []
    for _, task_id, task in sorted(rows, key=lambda row: (row[0], row[1])):
        if task_id in seen_ids:
            raise RunFileError(f"task id {task_id!r} is in two shards", where=str(out))
        seen_ids.add(task_id)
        earlier = instructions.check(task_id, str(task.get("instruction", "")))
        if earlier is not None:
            result.dropped.append((task_id, earlier))
            continue
        kept.append(task)
    write_atomically(out, "".join(json.dumps(task, ensure_ascii=False) + "\n" for task in kept))
    result.kept = len(kept)
    return result


def _read(path: Path) -> SynthShard:
    manifest_path = work_dir_of(path) / MANIFEST
    manifest = read_recorded(manifest_path)
    shard = manifest.get("shard")
    try:
        parsed = WHOLE if shard is None else parse_shard(str(shard), env={})
    except ConfigError as error:
        raise RunFileError(f"shard: {error.what}", where=str(manifest_path)) from None
    return SynthShard(path, manifest, parsed)


def _check_same_config(shards: list[SynthShard]) -> None:
    first = shards[0]
    checked = [
        (shard.out, shard.shard, _unsharded(shard).changed_from(_without_shard(first.manifest)))
        for shard in shards
    ]
    refuse_mixed(checked, "synthesis")


def _without_shard(recorded: RecordedManifest) -> RecordedManifest:
    return {key: value for key, value in recorded.items() if key != "shard"}


def _unsharded(shard: SynthShard) -> SynthManifest:
    """The shard's manifest without its shard, for the one change check (``button.storage.manifest``)."""
    try:
        return SynthManifest.model_validate(_without_shard(shard.manifest))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(manifest)"
        raise RunFileError(f"{field}: {first['msg']}", where=str(work_dir_of(shard.out) / MANIFEST)) from None


def _tasks_of(path: Path) -> list[TaskJson]:
    """The task objects of a shard's output, one a line as ``button synth`` writes them."""
    tasks: list[TaskJson] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RunFileError(f"cannot read: {error}", where=str(path)) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as error:
            raise RunFileError(f"bad JSON: {error.msg}", where=f"{path}:{number}") from None
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            raise RunFileError("not a task with an id", where=f"{path}:{number}")
        tasks.append(task)
    return tasks
