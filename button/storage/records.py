"""Append-only JSONL record files that survive a kill.

A record is written as one line and flushed to disk before the next one
starts, so a killed writer leaves at most one torn last line. One rule, kept
by readers and writers alike: a last line without its newline is torn, even
if it happens to parse. Readers skip it; a writer cuts it before appending.
So a record counts as written only once its newline is on disk, and a resumed
run redoes exactly what a reader did not see.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import BaseModel, ValidationError

from button.errors import RunFileError

ModelT = TypeVar("ModelT", bound=BaseModel)


class RecordWriter:
    """Appends one JSON object per line, flushed and fsynced one by one.

    ``append`` blocks until the record is on disk; a coroutine uses ``write``,
    which does the same in a worker thread, so a slow disk never stalls the
    event loop. Records written at once from several coroutines are whole lines
    in the order their threads got the lock. ``append_lines`` writes a group of
    lines already serialized, with one fsync for all."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _drop_torn_tail(self.path)
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as error:
            raise RunFileError(f"cannot write: {error.strerror or error}", where=str(self.path)) from error
        self._lock = threading.Lock()

    def append(self, record: BaseModel | dict[str, Any]) -> None:
        self.append_lines([record.model_dump_json() if isinstance(record, BaseModel) else json.dumps(record)])

    def append_lines(self, lines: list[str]) -> None:
        """Append records already written as JSON lines, with one flush and fsync for all."""
        with self._lock:
            self._file.write("".join(line + "\n" for line in lines))
            self._file.flush()
            os.fsync(self._file.fileno())

    async def write(self, record: BaseModel | dict[str, Any]) -> None:
        """``append`` in a worker thread."""
        await asyncio.to_thread(self.append, record)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_lines(
    path: str | Path, *, written_by_us: bool = True
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, object or None, problem or None) for every non-empty line.

    A torn last line (no newline, not JSON) is left out: it is a write that
    was cut off, not data. A file ``written_by_us=False`` (a data set made
    elsewhere) keeps the rule of ordinary text: its last line needs no newline.
    """
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError as error:
        raise RunFileError("no such file", where=str(path)) from error
    with handle:
        for number, line in enumerate(handle, start=1):
            if written_by_us and not line.endswith("\n"):
                return  # torn: the write of this record never finished
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"bad JSON: {error.msg} (column {error.colno})"
                continue
            if not isinstance(value, dict):
                yield number, None, "a record must be a JSON object"
                continue
            yield number, value, None


def iter_records(path: str | Path, model: type[ModelT]) -> Iterator[tuple[int, ModelT]]:
    """(line number, record as ``model``) one at a time; raise on the first bad line."""
    for number, value, problem in iter_lines(path):
        if problem is not None or value is None:
            raise RunFileError(problem or "bad record", where=f"{path}:{number}")
        try:
            record = model.model_validate(value)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise RunFileError(f"{field}: {first['msg']}", where=f"{path}:{number}") from error
        yield number, record


def read_records(path: str | Path, model: type[ModelT]) -> list[ModelT]:
    """All records of a file as ``model``; raise on the first bad line."""
    return [record for _, record in iter_records(path, model)]


def count_lines(path: str | Path, chunk: int = 1 << 20) -> int:
    """Newlines in a file, read in binary chunks (a progress bar's total)."""
    total = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(chunk):
            total += block.count(b"\n")
    return total


def _drop_torn_tail(path: Path, chunk: int = 1 << 16) -> None:
    """Cut a last line that has no newline (a write cut off by a kill).

    Reads backwards from the end only as far as the last newline.
    """
    if not path.exists():
        return
    with path.open("r+b") as handle:
        end = handle.seek(0, 2)
        if end == 0:
            return
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return
        position = end
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            newline = handle.read(position - start).rfind(b"\n")
            if newline >= 0:
                handle.truncate(start + newline + 1)
                return
            position = start
        handle.truncate(0)


def write_atomically(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` whole: a temporary file, fsynced, renamed over it,
    so a reader (or a kill) never leaves half a file."""
    with atomic_writer(path) as handle:
        try:
            handle.write(text)
        except OSError as error:
            raise RunFileError(f"cannot write: {error.strerror or error}", where=str(path)) from error


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[TextIO]:
    """A text file that replaces ``path`` only when the block ends without an error:
    written to ``path.tmp``, fsynced and renamed over ``path``; on an error the
    temporary file is removed and ``path`` is left as it was. For output written
    as it is produced, a record at a time."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = temporary.open("w", encoding="utf-8")
    except OSError as error:
        raise RunFileError(f"cannot write: {error.strerror or error}", where=str(path)) from error
    with handle:
        try:
            yield handle
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
        try:
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as error:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise RunFileError(f"cannot write: {error.strerror or error}", where=str(path)) from error
    try:
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise RunFileError(f"cannot write: {error.strerror or error}", where=str(path)) from error
