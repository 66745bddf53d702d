"""The resumable stage store: one JSONL file of records per stage in a work dir.

Every finished row (kept or dropped, with its ``DropReason``) is one record
keyed by the row's key, so a rerun skips it; a line that is not such a record
(torn, or a reason this version does not know) is done again. A record also
holds the tokens its model calls cost, so the work dir's cost ledger is the
sum over its records (``StageStore.recorded_usage``). ``manifest.json`` holds
the config; a changed config refuses to resume (``button.storage.manifest`` names the
changed setting) unless the caller starts afresh. The work dir is locked
(``button.storage.locks``) while a store is open, so two syntheses never share it.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from button.data_model.trajectory import Usage
from button.errors import ConfigError, RunFileError
from button.storage.locks import LOCK_FILE, directory_lock
from button.storage.manifest import Manifest, read_recorded
from button.storage.records import RecordWriter, iter_lines
from simulator.synthesis.stage_context import DropReason


@dataclass
class Record:
    """One finished row of a stage. ``reason`` is None when the row was kept."""

    key: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: DropReason | None = None
    detail: str = ""
    usage: Usage | None = None  # what the row's model calls cost (None: it made none)
    tries: int = 1  # how many times the row's work was run (see ``Stage.tries``)

    @property
    def kept(self) -> bool:
        return self.reason is None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "key": self.key,
            "reason": self.reason,
            "detail": self.detail,
            "data": self.data,
        }
        if self.tries > 1:
            found["tries"] = self.tries
        return found if self.usage is None else {**found, "usage": self.usage.model_dump()}


class StageLog:
    """The records of one stage: those already on disk, and an appender."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, Record] = {}
        if path.exists():
            for _, value, _problem in iter_lines(path):
                record = _record(value)
                if record is not None:
                    self.done[record.key] = record
        self._writer = RecordWriter(path)

    async def append(self, record: Record) -> None:
        """Keep a finished row: on disk (in a worker thread), then in ``done``."""
        await self._writer.write(record.as_json())
        self.done[record.key] = record

    def close(self) -> None:
        self._writer.close()


class StageStore:
    """The work dir of one synthesis run, locked against a second ``button synth`` until ``close``."""

    def __init__(self, work_dir: Path, config: Manifest, *, force_new: bool = False) -> None:
        self.work_dir = work_dir
        self._lock = ExitStack()
        self._lock.enter_context(directory_lock(work_dir, "button synth"))
        try:
            self._start(config, force_new)
        except BaseException:
            self._lock.close()
            raise
        self._logs: dict[str, StageLog] = {}

    def _start(self, config: Manifest, force_new: bool) -> None:
        manifest = self.work_dir / "manifest.json"
        try:
            if force_new:
                _clear(self.work_dir)
            if manifest.exists():
                changed = config.changed_from(read_recorded(manifest, "; pass --force-new to start afresh"))
                if changed is not None:
                    raise ConfigError(
                        f"the config changed since this work was started ({changed}); "
                        "rerun with the old settings, or pass --force-new to start afresh",
                        where=str(manifest),
                    )
            config.write(manifest)
        except OSError as error:
            where = str(error.filename or manifest)
            raise RunFileError(f"cannot use the work dir: {error.strerror or error}", where=where) from error

    def recorded_usage(self) -> tuple[int, Usage]:
        """The rows recorded in every stage log so far that made model calls, and their usage."""
        rows, usage = 0, Usage()
        for path in sorted(self.work_dir.glob("*.jsonl")):
            for _, value, _problem in iter_lines(path):
                found = _usage((value or {}).get("usage"))
                if found is not None:
                    rows += 1
                    usage.add(found)
        return rows, usage

    def log(self, stage: str) -> StageLog:
        if stage not in self._logs:
            self._logs[stage] = StageLog(self.work_dir / f"{stage}.jsonl")
        return self._logs[stage]

    def close(self) -> None:
        for log in self._logs.values():
            log.close()
        self._lock.close()


def _usage(value: Any) -> Usage | None:
    try:
        return Usage.model_validate(value) if isinstance(value, dict) else None
    except ValidationError:
        return None


def _record(value: dict[str, Any] | None) -> Record | None:
    """A stage file's line as a record; None when it is not one."""
    if value is None or not isinstance(value.get("key"), str):
        return None
    reason = value.get("reason")
    try:
        known = None if reason is None else DropReason(reason)
    except ValueError:
        return None
    return Record(
        key=value["key"],
        data=value.get("data") or {},
        reason=known,
        detail=value.get("detail") or "",
        usage=_usage(value.get("usage")),
        tries=value["tries"] if isinstance(value.get("tries"), int) else 1,
    )


def _clear(work_dir: Path) -> None:
    """Remove the earlier work, but not the lock file this process holds."""
    for entry in work_dir.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
