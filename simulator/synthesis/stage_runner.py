"""Runs one stage over its inputs: skips finished rows, bounds nothing itself
(the model calls are bounded in ``SynthContext``), records every row with what
its calls cost, and counts what it kept and dropped, and why. Rows a budget
cap kept from starting are not recorded: the stage ends with
``BudgetReached`` once the started ones are done."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from rich.progress import Progress

from button.cost.cost_table import counted
from button.errors import BudgetReached, StructuredOutputError
from simulator.synthesis.retry_advice import retry_note
from simulator.synthesis.stage_context import Dropped, DropReason, NotStarted, SynthContext
from simulator.synthesis.stage_store import Record, StageStore

In = TypeVar("In", bound=Mapping[str, Any])  # a stage's input row (``simulator.synthesis.rows``)
Out = TypeVar("Out", bound=Mapping[str, Any])  # its output row, the next stage's input


@dataclass
class Stage(Generic[In, Out]):
    """``precheck`` runs on inputs in input order before any model call (and sees
    finished rows too, so order-dependent rules such as de-duplication give the
    same answer on a rerun); ``postcheck`` runs on outputs as they finish. A stage
    that writes with the model runs a row's ``work`` up to ``tries`` times, each
    with its own seeds and told why the last was refused (``retry_advice``), while
    a rule or the schema refuses what it wrote (``DropReason.resampled``); the row
    records how many it took."""

    name: str
    title: str
    work: Callable[[str, In], Awaitable[Out]]
    precheck: Callable[[str, In], Dropped | None] | None = None
    postcheck: Callable[[str, Out], Dropped | None] | None = None
    tries: int = 1


@dataclass
class StageReport:
    name: str
    title: str
    inputs: int = 0
    kept: int = 0
    reused: int = 0  # rows finished by an earlier run
    retried: int = 0  # kept rows that took more than one try
    not_started: int = 0  # rows a budget cap kept from starting
    dropped: Counter[DropReason] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "in": self.inputs,
            "kept": self.kept,
            "dropped": sum(self.dropped.values()),
            "reused": self.reused,
            "kept_after_retry": self.retried,
            "not_started": self.not_started,
            "why": dict(self.dropped.most_common()),
        }


class StageRunner:
    def __init__(self, store: StageStore, progress: Progress, ctx: SynthContext | None = None) -> None:
        self.store = store
        self.progress = progress
        self.ctx = ctx  # where each row's cost is counted
        self.reports: list[StageReport] = []

    async def run(self, stage: Stage[In, Out], inputs: list[tuple[str, In]]) -> list[tuple[str, Out]]:
        """The kept outputs, in input order. A kept record holds what this stage's work
        returned (a changed configuration refuses the work dir), so it is read back as ``Out``."""
        log = self.store.log(stage.name)
        report = StageReport(stage.name, stage.title, inputs=len(inputs))
        self.reports.append(report)
        bar = self.progress.add_task(stage.title, total=len(inputs))
        todo: list[tuple[str, In]] = []
        for key, item in inputs:
            verdict = stage.precheck(key, item) if stage.precheck else None
            if key in log.done:
                report.reused += 1
                self.progress.advance(bar)
            elif verdict is not None:
                await log.append(Record(key, reason=verdict.reason, detail=verdict.detail))
                self.progress.advance(bar)
            else:
                todo.append((key, item))
        if stage.postcheck:
            for key, _ in inputs:
                done = log.done.get(key)
                if done is not None and done.kept:
                    stage.postcheck(key, cast(Out, done.data))

        stopped: list[str] = []

        async def one(key: str, item: In) -> None:
            try:
                record = await tried(key, item)
            except NotStarted as cap:
                stopped.append(cap.reason)
                return
            record.usage = self.ctx.take_usage(key) if self.ctx is not None else None
            await log.append(record)
            self.progress.advance(bar)

        async def tried(key: str, item: In) -> Record:
            note = ""
            for attempt in range(stage.tries):
                if self.ctx is not None:
                    self.ctx.start_attempt(key, attempt, note)
                record = await self._work(stage, key, item)
                record.tries = attempt + 1
                if record.reason is None or not record.reason.resampled:
                    break
                note = retry_note(Dropped(record.reason, record.detail))
            return record

        tasks = [asyncio.create_task(one(key, item)) for key, item in todo]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if stopped:
            report.not_started = len(stopped)
            raise BudgetReached(
                f"{stopped[0]}; {counted(len(stopped), 'row')} of stage '{stage.title}' not started",
                where=str(self.store.work_dir),
            )
        kept: list[tuple[str, Out]] = []
        for key, _ in inputs:
            record = log.done[key]
            if record.reason is None:
                kept.append((key, cast(Out, record.data)))
                report.retried += record.tries > 1
            else:
                report.dropped[record.reason] += 1
        report.kept = len(kept)
        console = self.progress.console
        if not console.is_terminal:  # a batch job's log: no live bar, a line a stage
            dropped = sum(report.dropped.values())
            console.print(
                f"stage {stage.title}: {report.inputs} in, {report.kept} kept, {dropped} dropped "
                f"({report.reused} reused)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        return kept

    @staticmethod
    async def _work(stage: Stage[In, Out], key: str, item: In) -> Record:
        """One try of a row: its output, or why it was dropped."""
        try:
            data = await stage.work(key, item)
        except Dropped as dropped:
            return Record(key, reason=dropped.reason, detail=dropped.detail)
        except StructuredOutputError as error:
            return Record(key, reason=DropReason.MODEL_OUTPUT_INVALID, detail=error.what)
        verdict = stage.postcheck(key, data) if stage.postcheck else None
        if verdict is not None:
            return Record(key, reason=verdict.reason, detail=verdict.detail)
        return Record(key, data=dict(data))
