"""One row per scored trajectory for ``button score``: chosen, kept on disk, shown.

Rows are chosen as scores are written (``--show all``, ``failures`` or
``none``) and appended to an unnamed temporary file, so a run of any size is
listed in bounded memory; the file is read back once to print the rows or to
stream them into the JSON report. A failure is a trajectory whose verdict is
not a success, or that ended in an error.
"""

from __future__ import annotations

import enum
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from button.data_model.trajectory import Score, TrajectoryStatus
from harness.score.metric_table import Metric, row_metrics


class Show(enum.StrEnum):
    ALL = "all"
    FAILURES = "failures"
    NONE = "none"


@dataclass(frozen=True)
class Row:
    trajectory_id: str
    task_id: str
    status: str
    success: bool | None
    reasons: tuple[str, ...]
    metrics: dict[str, float | None]

    @classmethod
    def of(cls, score: Score, status: TrajectoryStatus) -> Row:
        return cls(
            trajectory_id=score.trajectory_id,
            task_id=score.task_id,
            status=status.value,
            success=score.success,
            reasons=tuple(str(reason) for reason in score.reasons),
            metrics={metric.name: score.metrics.get(metric.name) for metric in row_metrics()},
        )

    @property
    def failed(self) -> bool:
        return self.success is False or self.status == TrajectoryStatus.ERROR.value

    def as_json(self) -> dict[str, Any]:
        return {
            "trajectory_id": self.trajectory_id,
            "task_id": self.task_id,
            "status": self.status,
            "success": self.success,
            "reasons": list(self.reasons),
            "metrics": self.metrics,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Row:
        return cls(
            trajectory_id=value["trajectory_id"],
            task_id=value["task_id"],
            status=value["status"],
            success=value["success"],
            reasons=tuple(value["reasons"]),
            metrics=value["metrics"],
        )


class RowSink:
    """Keeps the chosen rows in a temporary file; counts them and the widths of their ids."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.count = 0
        self.failures = 0
        self.id_width = len("trajectory")
        self.task_width = len("task")
        self._file: TextIO = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close)

    def add(self, score: Score, status: TrajectoryStatus) -> None:
        row = Row.of(score, status)
        self.failures += row.failed
        if self.show is Show.NONE or (self.show is Show.FAILURES and not row.failed):
            return
        self.count += 1
        self.id_width = max(self.id_width, len(row.trajectory_id))
        self.task_width = max(self.task_width, len(row.task_id))
        self._file.write(json.dumps(row.as_json()) + "\n")

    def rows(self, limit: int | None = None) -> Iterator[Row]:
        """The chosen rows in trajectory order, at most ``limit`` of them."""
        self._file.flush()
        self._file.seek(0)
        for number, line in enumerate(self._file):
            if limit is not None and number >= limit:
                return
            yield Row.from_json(json.loads(line))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_lines(sink: RowSink, limit: int | None) -> Iterator[str]:
    """The header and the chosen rows as fixed-width text lines."""
    id_width, task_width = min(sink.id_width, 60), min(sink.task_width, 48)
    metrics = row_metrics()
    numbers = "".join(f"{metric.header:>7}" for metric in metrics)
    yield f"{'trajectory':<{id_width}}  {'task':<{task_width}}  {'status':<9}  {'success':<7}{numbers}  reasons"
    for row in sink.rows(limit):
        cells = "".join(f"{_cell(row.metrics.get(metric.name), metric):>7}" for metric in metrics)
        success = {True: "yes", False: "no", None: "–"}[row.success]
        yield (
            f"{row.trajectory_id:<{id_width}}  {row.task_id:<{task_width}}  {row.status:<9}  "
            f"{success:<7}{cells}  {', '.join(row.reasons) or '–'}"
        )


def _cell(value: float | None, metric: Metric) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if metric.count else f"{value:.2f}"
