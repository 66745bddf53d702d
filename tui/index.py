"""A streaming line index over a trajectories file.

Opening a file only scans it for line starts (in 1 MiB chunks, so memory stays
flat); a line is parsed when a row of it is shown, sorted, filtered or
searched. A line that does not parse or validate becomes an error row that
keeps its line number.
"""

from __future__ import annotations

import re
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal

from pydantic import ValidationError

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.errors import RunFileError
from harness.score.calls import message_text

CHUNK = 1 << 20
CORRUPT: Final = "corrupt"  # the status of a row whose line is not a trajectory
RowStatus = TrajectoryStatus | Literal["corrupt"]
_NON_BLANK = re.compile(rb"\S")
_SAFE_NEEDLE = re.compile(r"^[A-Za-z0-9 _.,:;!?@#$%&*()+=<>'-]+$")  # characters JSON never escapes


@dataclass(frozen=True)
class RowSummary:
    """What the list shows of one line."""

    line: int
    status: RowStatus
    trajectory_id: str = ""
    task_id: str = ""
    model: str = ""
    turns: int = 0  # assistant messages
    tool_calls: int = 0
    problem: str | None = None  # why a corrupt line is corrupt


@dataclass(frozen=True)
class CorruptLine:
    line: int
    problem: str


def summarize(line: int, trajectory: Trajectory) -> RowSummary:
    assistant = [m for m in trajectory.messages if m.get("role") == "assistant"]
    endpoint = trajectory.endpoints.get("assistant")
    return RowSummary(
        line=line,
        status=trajectory.status,
        trajectory_id=trajectory.id,
        task_id=trajectory.task_id,
        model=endpoint.model if endpoint else "",
        turns=len(assistant),
        tool_calls=sum(len(m.get("tool_calls") or []) for m in assistant),
    )


def parse_line(line: int, raw: bytes) -> Trajectory | CorruptLine:
    """The trajectory on one line, or why there is none."""
    try:
        return Trajectory.model_validate_json(raw.rstrip(b"\r\n"))
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            cut = "" if raw.endswith(b"\n") else " (last line, cut off)"
            return CorruptLine(line, f"bad JSON{cut}: {first['msg'].removeprefix('Invalid JSON: ')}")
        field = ".".join(str(part) for part in first["loc"]) or "(record)"
        return CorruptLine(line, f"{field}: {first['msg']}")


def searchable_texts(trajectory: Trajectory) -> Iterator[str]:
    """Every text a search looks at: contents, tool names and arguments."""
    for message in trajectory.messages:
        yield message_text(message.get("content"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            yield str(function.get("name", ""))
            yield str(function.get("arguments", ""))


class TrajectoryIndex:
    """Byte offsets of every non-blank line of a trajectories file, parsed on demand."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            handle = self.path.open("rb")
        except FileNotFoundError as error:
            raise RunFileError("no such file", where=str(self.path)) from error
        except IsADirectoryError as error:
            raise RunFileError("is a directory, not a trajectories file", where=str(self.path)) from error
        self._handle = handle
        self._lock = threading.Lock()  # one reader of the shared handle at a time
        self.offsets, self.line_numbers = _scan(handle)
        self._summaries: dict[int, RowSummary] = {}

    def __len__(self) -> int:
        return len(self.offsets)

    def close(self) -> None:
        self._handle.close()

    def raw(self, row: int, handle: BinaryIO | None = None) -> bytes:
        if handle is not None:
            handle.seek(self.offsets[row])
            return handle.readline()
        with self._lock:
            self._handle.seek(self.offsets[row])
            return self._handle.readline()

    def load(self, row: int) -> Trajectory | CorruptLine:
        return parse_line(self.line_numbers[row], self.raw(row))

    def summary(self, row: int) -> RowSummary:
        """The row's summary, parsing its line the first time it is asked for."""
        found = self._summaries.get(row)
        if found is None:
            found = self._summarize(row, self.load(row))
        return found

    def _summarize(self, row: int, parsed: Trajectory | CorruptLine) -> RowSummary:
        if isinstance(parsed, CorruptLine):
            found = RowSummary(line=parsed.line, status=CORRUPT, problem=parsed.problem)
        else:
            found = summarize(self.line_numbers[row], parsed)
        self._summaries[row] = found
        return found

    @property
    def all_summarized(self) -> bool:
        return len(self._summaries) == len(self)

    def summarize_all(self, progress: Callable[[int], None] | None = None) -> None:
        """Parse every line not yet summarized (for sorting and filtering); safe in a thread."""
        with self.path.open("rb") as handle:
            for row in range(len(self)):
                if row not in self._summaries:
                    self._summarize(row, parse_line(self.line_numbers[row], self.raw(row, handle)))
                if progress is not None and row % 500 == 0:
                    progress(row)

    def search(self, needle: str, rows: list[int], cancelled: Callable[[], bool]) -> list[int]:
        """The rows among ``rows`` whose message texts contain ``needle`` (case-insensitive).

        A needle that JSON never escapes is first looked for in the raw line,
        so most lines are never parsed.
        """
        folded = needle.casefold()
        quick = folded.encode() if _SAFE_NEEDLE.match(needle) else None
        found: list[int] = []
        with self.path.open("rb") as handle:
            for row in rows:
                if cancelled():
                    break
                raw = self.raw(row, handle)
                if quick is not None and quick not in raw.lower():
                    continue
                parsed = parse_line(self.line_numbers[row], raw)
                if isinstance(parsed, Trajectory) and any(
                    folded in text.casefold() for text in searchable_texts(parsed)
                ):
                    found.append(row)
        return found


def _scan(handle: BinaryIO) -> tuple[array[int], array[int]]:
    """(start offset, line number) of every non-blank line."""
    offsets: array[int] = array("q")
    numbers: array[int] = array("q")
    chunk_start = line_start = number = 0
    blank = True
    while chunk := handle.read(CHUNK):
        position = 0
        while True:
            newline = chunk.find(b"\n", position)
            end = len(chunk) if newline < 0 else newline
            if blank and _NON_BLANK.search(chunk, position, end):
                blank = False
            if newline < 0:
                break
            number += 1
            if not blank:
                offsets.append(line_start)
                numbers.append(number)
            line_start = chunk_start + newline + 1
            blank = True
            position = newline + 1
        chunk_start += len(chunk)
    if not blank:  # a last line without a newline
        offsets.append(line_start)
        numbers.append(number + 1)
    return offsets, numbers
