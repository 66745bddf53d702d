"""Score a run: read its trajectories one at a time, score each, write ``scores.jsonl``.

Memory stays bounded whatever the run's size: trajectories are read a line at
a time and each score is written out as soon as it is final, in trajectory
order; callers keep only small aggregates (``on_written``). What grows with
the run is the set of trajectory ids seen (to score a repeated id once: the
first line with it wins, the others are reported to ``on_duplicate``).

``scores.jsonl`` is rewritten as a whole on every scoring, never appended to:
scores are a pure function of trajectories and tasks, so a rescore must
replace the old one (a changed task file or scorer would otherwise leave two
disagreeing scores for one trajectory). It is written in trajectory order to a
temporary name and renamed at the end, so readers only ever see a complete
file, and a scoring that fails or is killed leaves the old one in place.

A judge's verdict (new or reused) is added by ``apply_verdict``: it gates the
success of a task with a plan (a failed verdict adds ``judge_failed``) and
decides one without a plan.

The only costly part is the judge, whose calls run ``concurrency`` at a time
over a window of at most ``window_size(concurrency)`` trajectories past the
first one not yet written (those are the only trajectories held in memory).
Each new verdict is appended to ``scores.jsonl.partial`` (flushed each, see
``button.storage.records``) the moment it arrives, in whatever order verdicts finish:
that file is the journal of an unfinished judged scoring. The next scoring
reuses the verdicts of the same judge model found in ``scores.jsonl`` and in
the journal, so a killed scoring loses only the verdicts that were in flight.
The journal is removed once ``scores.jsonl`` holds everything.

A ``budget`` is asked before each new judgement starts; once it answers that a
cap is reached, no judgement starts, those running finish into the journal,
and the scoring ends with ``BudgetReached``, leaving the old ``scores.jsonl``
in place: a rerun with a higher cap reuses every verdict in the journal.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from button.data_model.task import Task
from button.data_model.trajectory import JudgeVerdict, Score, Trajectory, TrajectoryStatus
from button.errors import BudgetReached, RunFileError
from button.shard import WHOLE, Shard
from button.storage.records import RecordWriter, atomic_writer, iter_lines, iter_records
from button.validation.taskfile import load_tasks
from harness.run.run_dir import SCORES, SHARD_SCORES_GLOB, RunFiles
from harness.score.metrics import score_trajectory
from harness.score.verdict import apply_verdict

Judge = Callable[[Trajectory, Task | None], Awaitable[JudgeVerdict]]


@dataclass(frozen=True)
class TaskSet:
    """The tasks a run is scored against, and the file they came from (for messages);
    ``file`` None: no task file, every trajectory is scored without a plan."""

    file: Path | None
    by_id: dict[str, Task]

    @classmethod
    def load(cls, path: Path) -> TaskSet:
        return cls(path, {task.id: task for task in load_tasks(path)})

    def strategies(self) -> dict[str, str]:
        return {task_id: task.strategy.value for task_id, task in self.by_id.items()}


@dataclass(frozen=True)
class Duplicate:
    """A trajectory line whose id an earlier line already had; it is not scored."""

    line: int
    trajectory_id: str
    first_line: int


OnWritten = Callable[[Score, TrajectoryStatus], None]


def window_size(concurrency: int) -> int:
    """Trajectories held at most while the judge works ahead of the first unwritten one."""
    return max(256, 8 * concurrency)


def partial_path(scores: Path) -> Path:
    return scores.with_name(scores.name + ".partial")


def verdict_files(scores: Path) -> list[Path]:
    """Where a run's verdicts are kept: its ``scores.jsonl`` and every score shard's file
    (``button score --shard``) beside ``scores``, each with its journal after it."""
    kept = [scores.with_name(SCORES), *sorted(scores.parent.glob(SHARD_SCORES_GLOB))]
    if scores not in kept:
        kept.insert(0, scores)
    return [path for found in kept for path in (found, partial_path(found))]


def earlier_verdicts(scores: Path, model: str | None) -> dict[str, JudgeVerdict]:
    """Trajectory id -> a verdict of judge ``model`` (None: of any judge) from an earlier,
    interrupted or sharded scoring of the run (``verdict_files``; a journal's, the newer,
    wins over its file's)."""
    verdicts: dict[str, JudgeVerdict] = {}
    for path in verdict_files(scores):
        if not path.exists():
            continue
        for _, value, _problem in iter_lines(path):
            try:
                score = Score.model_validate(value)
            except ValidationError:
                continue
            if score.judge is not None and model in {None, score.judge.model}:
                verdicts[score.trajectory_id] = score.judge
    return verdicts


@dataclass
class _Pending:
    """A score on its way to the file: final once ``verdict`` (if any) is done."""

    score: Score
    status: TrajectoryStatus
    verdict: asyncio.Future[None] | None = None


async def score_run(
    run: RunFiles,
    tasks: TaskSet,
    *,
    judge: Judge | None = None,
    judge_model: str | None = None,
    concurrency: int = 4,
    on_scored: Callable[[Score], None] | None = None,
    on_written: OnWritten | None = None,
    on_duplicate: Callable[[Duplicate], None] | None = None,
    budget: Callable[[], str | None] | None = None,
    on_read: Callable[[Trajectory], None] | None = None,
    shard: Shard = WHOLE,
    on_passed: Callable[[Trajectory], None] | None = None,
) -> int:
    """Score every trajectory of ``run`` (of ``shard``) and replace its scores file; the number scored.

    ``on_scored`` is called as each score is complete (verdicts finish in any
    order), ``on_written`` with each score and its trajectory's status in file
    order, ``on_duplicate`` for each line whose trajectory id was seen before,
    ``on_passed`` for each trajectory left to other shards.
    ``budget`` says which cap is reached (None: none), before each new judgement;
    ``on_read`` is called with every trajectory line read, repeated ids and other
    shards' included.
    """
    reuse = earlier_verdicts(run.scores, judge_model) if judge and judge_model else {}
    journal = partial_path(run.scores)
    writer: RecordWriter | None = None
    limit = asyncio.Semaphore(max(1, concurrency))
    window: deque[_Pending] = deque()
    first_line: dict[str, int] = {}
    written = 0
    read_any = False

    async def verdict_for(pending: _Pending, trajectory: Trajectory, judge: Judge) -> None:
        nonlocal writer
        async with limit:
            reached = budget() if budget is not None else None
            if reached is not None:
                raise BudgetReached(f"{reached}; no new judgement started", where=str(run.scores))
            verdict = await judge(trajectory, tasks.by_id.get(trajectory.task_id))
        apply_verdict(pending.score, verdict)
        if writer is None:
            writer = RecordWriter(journal)
        await writer.write(pending.score)
        if on_scored:
            on_scored(pending.score)

    def emit(out: TextIO, pending: _Pending) -> None:
        nonlocal written
        out.write(pending.score.model_dump_json() + "\n")
        written += 1
        if on_written:
            on_written(pending.score, pending.status)

    async def flush(out: TextIO, keep: int) -> None:
        """Write finished scores from the front until at most ``keep`` remain."""
        while window:
            head = window[0]
            if head.verdict is None or head.verdict.done():
                if head.verdict is not None:
                    head.verdict.result()  # raises the judge's failure as it is
                emit(out, window.popleft())
                continue
            if len(window) <= keep:
                return
            running = [p.verdict for p in window if p.verdict is not None and not p.verdict.done()]
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                future.result()  # the first failure stops the scoring

    try:
        with atomic_writer(run.scores) as out:
            for line, trajectory in iter_records(run.trajectories, Trajectory):
                if on_read:
                    on_read(trajectory)
                read_any = True
                if not shard.owns(trajectory.task_id, trajectory.trial):
                    if on_passed:
                        on_passed(trajectory)
                    continue
                if trajectory.id in first_line:
                    if on_duplicate:
                        on_duplicate(Duplicate(line, trajectory.id, first_line[trajectory.id]))
                    continue
                first_line[trajectory.id] = line
                task = tasks.by_id.get(trajectory.task_id)
                if task is None and tasks.file is not None:
                    raise RunFileError(
                        f"task {trajectory.task_id!r} of the trajectories is not in {tasks.file}; "
                        "give the right --tasks",
                        where=f"{run.trajectories}:{line}",
                    )
                pending = _Pending(score_trajectory(trajectory, task), trajectory.status)
                if judge is not None and trajectory.id not in reuse:
                    pending.verdict = asyncio.ensure_future(verdict_for(pending, trajectory, judge))
                    await asyncio.sleep(0)  # let the judge call start while the next line is read
                else:
                    if trajectory.id in reuse:
                        apply_verdict(pending.score, reuse[trajectory.id])
                    if on_scored:
                        on_scored(pending.score)
                window.append(pending)
                await flush(out, window_size(concurrency))
            await flush(out, 0)
            if not read_any:
                raise RunFileError("no trajectories yet", where=str(run.trajectories))
    except BudgetReached:
        # what started finishes into the journal; the rest never starts
        await asyncio.gather(*(p.verdict for p in window if p.verdict is not None), return_exceptions=True)
        raise
    finally:
        running = [p.verdict for p in window if p.verdict is not None]
        for future in running:
            future.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if writer is not None:
            writer.close()
    journal.unlink(missing_ok=True)
    return written
