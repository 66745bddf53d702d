"""Write a run's chosen trajectories as fine-tuning data in one of the formats.

Each trajectory passes the filters (status, success, a minimum score), becomes
a conversation (``harness.export.clean_conversation``), is encoded, and the encoded record
is checked by its format's checker before it is written. Anything that fails
is skipped and counted under its reason. The output file is written to a
temporary name and renamed when complete. Trajectories are read one at a
time, so a run of any size is exported in bounded memory.

Every record can be traced to its trajectory and task. A format whose records
accept extra keys (``TRACE_FIELDS`` of its ``ExportFormat``: ShareGPT, read by
LLaMA-Factory through the columns named in ``dataset_info.json``) carries
``trajectory_id`` and ``task_id`` fields. The others (OpenAI's, whose
fine-tuning upload accepts only ``messages``, ``tools``,
``parallel_tool_calls`` and ``functions``; BUTTON's, published as
``{"messages": [...]}``) get a sidecar file ``OUT.ids`` with the trajectory id
of each record, one a line in record order (a trajectory of ``button run`` is
``<task id>#<trial>``; its line in ``trajectories.jsonl`` names the task).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from button.data_model.json_types import ExportRecord
from button.data_model.trajectory import Score, Trajectory
from button.errors import ConfigError, RunFileError
from button.storage.records import atomic_writer, iter_lines, iter_records
from harness.export import button_format, openai_format, sharegpt_format
from harness.export.clean_conversation import ConversationError, conversation_of
from harness.export.format_protocol import ExportFormat
from harness.run.run_dir import RunFiles

FORMATS: dict[str, ExportFormat] = {
    "openai": openai_format,
    "sharegpt": sharegpt_format,
    "button": button_format,
}


@dataclass(frozen=True)
class Filters:
    statuses: frozenset[str] = frozenset()  # empty: every status
    successful: bool = False
    min_score: tuple[str, float] | None = None  # (metric or "success", threshold)

    @property
    def needs_scores(self) -> bool:
        return self.successful or self.min_score is not None


@dataclass
class ExportReport:
    written: int = 0
    sidecar: Path | None = None  # the trajectory ids of the records, when they are not fields
    skipped: Counter[str] = field(default_factory=Counter)  # reason kind -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason kind -> "trajectory id: detail"

    def skip(self, trajectory_id: str, problem: str) -> None:
        kind = problem.split(":", 1)[0]
        self.skipped[kind] += 1
        self.examples.setdefault(kind, f"{trajectory_id}: {problem}")


def parse_min_score(text: str) -> tuple[str, float]:
    """``"0.8"`` (f1), ``"recall=1"``, ``"success=1"`` -> (metric, threshold)."""
    metric, _, value = text.rpartition("=")
    try:
        return (metric or "f1"), float(value)
    except ValueError as error:
        raise ConfigError(f"not [METRIC=]NUMBER: {text!r}", where="--min-score") from error


@dataclass(frozen=True)
class ScoreFacts:
    """What the filters need of a score: its success and the one metric asked for."""

    success: bool | None
    metric: float | None


def sidecar_path(out: Path) -> Path:
    """The file of trajectory ids beside an export whose records cannot carry them."""
    return out.with_name(out.name + ".ids")


def filter_problem(trajectory: Trajectory, score: ScoreFacts | None, filters: Filters) -> str | None:
    """Why a trajectory is not chosen, or None."""
    if filters.statuses and trajectory.status.value not in filters.statuses:
        return f"status not chosen: {trajectory.status.value}"
    if filters.needs_scores and score is None:
        return "no score: the trajectory is not in scores.jsonl"
    if filters.successful and score is not None and score.success is not True:
        return "not successful: success is " + json.dumps(score.success)
    if filters.min_score is not None and score is not None:
        metric, threshold = filters.min_score
        if metric == "success":
            value = None if score.success is None else float(score.success)
        else:
            value = score.metric
        if value is None:
            return f"no such score: {metric} is not available"
        if value < threshold:
            return f"score below the minimum: {metric} {value:.3g} < {threshold:g}"
    return None


def read_score_facts(path: Path, filters: Filters) -> dict[str, ScoreFacts]:
    """Trajectory id -> what the filters need of its score (a few bytes each)."""
    if not path.exists():
        raise RunFileError("no scores: run `button score` on the run first", where=str(path))
    metric = filters.min_score[0] if filters.min_score else None
    facts: dict[str, ScoreFacts] = {}
    for number, value, problem in iter_lines(path):
        try:
            score = Score.model_validate(value)
        except ValueError as error:
            raise RunFileError(problem or f"not a score: {error}", where=f"{path}:{number}") from error
        facts[score.trajectory_id] = ScoreFacts(score.success, score.metrics.get(metric) if metric else None)
    return facts


def export(
    run: RunFiles,
    out: Path,
    format_name: str,
    filters: Filters,
    on_record: Callable[[], None] | None = None,
) -> ExportReport:
    """Write the chosen trajectories of ``run`` to ``out`` in one format, with their ids."""
    if run.own(out) or run.own(sidecar_path(out)):
        raise ConfigError(
            f"{out} is a file of the run being exported; choose another output file", where="--out"
        )
    form = FORMATS[format_name]
    traced = form.TRACE_FIELDS
    scores = read_score_facts(run.scores, filters) if filters.needs_scores else {}
    report = ExportReport(sidecar=None if traced else sidecar_path(out))
    with ExitStack() as files:
        handle = files.enter_context(atomic_writer(out))
        ids: TextIO | None = None if traced else files.enter_context(atomic_writer(sidecar_path(out)))
        for _, trajectory in iter_records(run.trajectories, Trajectory):
            checked = _checked_record(trajectory, scores.get(trajectory.id), filters, form)
            if isinstance(checked, dict):
                if traced:
                    checked |= {"trajectory_id": trajectory.id, "task_id": trajectory.task_id}
                _write(handle, out, json.dumps(checked, ensure_ascii=False))
                if ids is not None:
                    _write(ids, out, trajectory.id)
                report.written += 1
            else:
                report.skip(trajectory.id, checked)
            if on_record:
                on_record()
    if traced:
        sidecar_path(out).unlink(missing_ok=True)  # a stale one from an export in another format
    return report


def _write(handle: TextIO, out: Path, line: str) -> None:
    try:
        handle.write(line + "\n")
    except OSError as error:
        raise RunFileError(f"cannot write: {error.strerror or error}", where=str(out)) from error


def _checked_record(
    trajectory: Trajectory, score: ScoreFacts | None, filters: Filters, form: ExportFormat
) -> ExportRecord | str:
    """The checked record, or the first reason it is skipped."""
    problem = filter_problem(trajectory, score, filters)
    if problem is not None:
        return problem
    try:
        turns = conversation_of(trajectory.messages)
    except ConversationError as error:
        return str(error)
    record = form.encode(turns, trajectory.tools)
    problems = form.check(record)
    return problems[0] if problems else record
