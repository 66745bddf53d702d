"""Run many conversations: bounded concurrency, resume, progress, summary.

``run_tasks`` works out which (task, trial) pairs the run directory still
lacks, opens the models and the tool side once, and holds up to
``concurrency`` conversations at a time. Each finished trajectory is appended
(and fsynced) at once, so an interrupted run loses only the conversations in
flight, and a rerun continues where it stopped. Before a conversation starts,
the run's spending is checked against its budget (``harness.run_cost``); once
a cap is reached no new one starts, and the ones running finish. The run's
cost ledger is written to ``cost.json`` at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from button import __version__
from button.budget import CostOptions
from button.cost_table import counted
from button.endpoints import EndpointConfig, Role
from button.errors import ButtonError, RuntimeFailure, clip
from button.ledger import Ledger
from button.llm import ModelClient, open_models
from button.prices import PriceBook
from button.records import RecordWriter
from button.redact import public_url
from button.task import Task
from button.trajectory import EndpointInfo, Trajectory, TrajectoryStatus, Usage
from harness.assistant_loop import LoopSettings, run_conversation
from harness.assistant_protocol import AssistantProtocol
from harness.mcp_tools import ToolConnections, ToolSource
from harness.run_cost import RunSpend
from harness.run_dir import RunDir, RunManifest, RunOptions, RunSettings, ToolsRecord
from simulator.user_agent import UserSimulator

# task id, episode id -> where that conversation's tools are
ToolSourceFor = Callable[[str, str], ToolSource]
CACHE_FILE = "sim_cache.sqlite"


@dataclass
class RunRequest:
    """Everything ``button run`` was asked to do."""

    tasks_file: str
    tasks_sha256: str
    tasks: list[Task]
    out: Path
    endpoints: dict[Role, EndpointConfig]  # assistant, user, and tool when served in-process
    settings: LoopSettings = field(default_factory=LoopSettings)
    tool_source: ToolSource | None = None  # None: serve the tasks in-process
    trials: int = 1
    concurrency: int = 4
    force_new: bool = False
    retry_errors: bool = False
    tool_cache: bool = True  # keep the in-process tool simulator's results in OUT/sim_cache.sqlite
    selected: list[str] | None = None  # the --task ids, if any
    cost: CostOptions = field(default_factory=lambda: CostOptions(PriceBook()))  # prices, budget

    def manifest(self) -> RunManifest:
        source = self.tool_source
        return RunManifest(
            run_id=RunDir(self.out).run_id,
            created_at=time.time(),
            button_version=__version__,
            tasks_file=self.tasks_file,
            tasks_file_abs=str(Path(self.tasks_file).resolve()),
            tasks_sha256=self.tasks_sha256,
            settings=RunSettings(
                endpoints={role.value: config.public() for role, config in self.endpoints.items()},
                tools=ToolsRecord(served="in-process")
                if source is None
                else ToolsRecord(url=source.url and public_url(source.url), command=source.command),
                max_turns=self.settings.max_turns,
                system_prompt=self.settings.system_prompt,
                tool_choice=self.settings.tool_choice,
                # only when not the default, so runs made before the flag existed still resume
                assistant_protocol=None
                if self.settings.protocol is AssistantProtocol.NATIVE
                else self.settings.protocol,
            ),
            options=RunOptions(  # may change between reruns
                tasks=self.selected,
                trials=self.trials,
                concurrency=self.concurrency,
                tool_cache=self.tool_cache,
            ),
        )


@dataclass
class RunResult:
    out: Path
    trajectories: list[Trajectory]  # made by this invocation
    skipped: int  # already in the run directory
    wall_s: float
    ledger: Ledger = field(default_factory=Ledger)  # the whole run's, as in cost.json
    not_started: int = 0  # conversations a budget cap kept from starting
    stopped: str | None = None  # the cap reached, in words

    def budget_stop(self) -> str | None:
        """Why conversations were left unstarted, or None when none were."""
        if not self.not_started or self.stopped is None:
            return None
        left = counted(self.not_started, "conversation")
        return f"{self.stopped}; {left} not started; rerun with a higher cap to continue"

    def count(self, status: TrajectoryStatus) -> int:
        return sum(1 for t in self.trajectories if t.status == status)

    def usage(self) -> dict[str, Usage]:
        total: dict[str, Usage] = {}
        for trajectory in self.trajectories:
            for role, usage in trajectory.usage.items():
                total.setdefault(role, Usage()).add(usage)
        return total


async def run_tasks(request: RunRequest, *, console: Console | None = None) -> RunResult:
    """Make every missing trajectory of the request; return what this call made."""
    started = time.monotonic()
    run_dir = RunDir(request.out)
    made: list[Trajectory] = []
    with run_dir.locked():
        done = run_dir.prepare(request.manifest(), force_new=request.force_new)
        if request.retry_errors and run_dir.drop_errors():
            done = run_dir.done()
        todo = [
            (task, trial)
            for task in request.tasks
            for trial in range(request.trials)
            if (task.id, trial) not in done
        ]
        costs = RunSpend(request.cost, run_dir.files, request.endpoints)
        if todo and costs.reached() is None:
            async with (
                open_models(list(request.endpoints.values())) as models,
                _tool_side(request, models) as source_for,
                ToolConnections(request.out / "mcp_server.log") as connections,
            ):
                costs.models = models
                with run_dir.writer() as writer, _progress(console, len(todo)) as progress:
                    worker = _Worker(
                        request,
                        run_dir.run_id,
                        models,
                        source_for,
                        connections,
                        writer,
                        progress,
                        made,
                        costs,
                    )
                    await worker.run_all(todo)
        ledger = costs.write()
        stopped = costs.spend.stopped and (request.cost.budget.reached(ledger) or costs.spend.stopped)
        return RunResult(
            request.out,
            made,
            len(done),
            time.monotonic() - started,
            ledger=ledger,
            not_started=len(todo) - len(made),
            stopped=stopped,  # said with what the run spent in the end
        )


@asynccontextmanager
async def _tool_side(request: RunRequest, models: dict[Role, ModelClient]) -> AsyncIterator[ToolSourceFor]:
    """Where each conversation's tools are: the given server, or the tasks served here."""
    if request.tool_source is not None:
        source = request.tool_source
        yield lambda task_id, episode_id: source
        return
    from mcp_servers.http_app import serve_http
    from simulator.sim_cache import SimCache

    cache = await SimCache.open(request.out / CACHE_FILE) if request.tool_cache else None
    try:
        async with serve_http(
            request.tasks, models[Role.TOOL], host="127.0.0.1", port=0, cache=cache
        ) as running:
            yield lambda task_id, episode_id: ToolSource(url=running.url_for(task_id))
    finally:
        if cache is not None:
            await cache.aclose()


class _Worker:
    """Holds the conversations of one run, ``concurrency`` at a time."""

    def __init__(
        self,
        request: RunRequest,
        run_id: str,
        models: dict[Role, ModelClient],
        source_for: ToolSourceFor,
        connections: ToolConnections,
        writer: RecordWriter,
        progress: _RunProgress,
        made: list[Trajectory],
        costs: RunSpend,
    ) -> None:
        self.request = request
        self.run_id = run_id
        self.models = models
        self.source_for = source_for
        self.connections = connections
        self.writer = writer
        self.progress = progress
        self.made = made
        self.costs = costs

    async def run_all(self, todo: list[tuple[Task, int]]) -> None:
        queue: asyncio.Queue[tuple[Task, int]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        workers = min(self.request.concurrency, len(todo))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(self._drain(queue))

    async def _drain(self, queue: asyncio.Queue[tuple[Task, int]]) -> None:
        while not queue.empty() and self.costs.reached() is None:
            task, trial = queue.get_nowait()
            trajectory = await self.one(task, trial)
            await self.writer.write(trajectory)
            self.made.append(trajectory)
            self.costs.record(trajectory)
            self.progress.advance(trajectory)

    async def one(self, task: Task, trial: int) -> Trajectory:
        episode_id = f"{self.run_id}/{Trajectory.make_id(task.id, trial)}"
        source = self.source_for(task.id, episode_id)
        endpoints = self._endpoints(source)
        started = time.time()
        trajectory: Trajectory | None = None
        try:
            async with self.connections.session(source, task.id, episode_id) as tools:
                trajectory = await run_conversation(
                    task,
                    trial,
                    self.run_id,
                    assistant=self.models[Role.ASSISTANT],
                    user=UserSimulator(self.models[Role.USER], task),
                    tools=tools,
                    settings=self.request.settings,
                    endpoints=endpoints,
                )
        except ButtonError as error:
            if trajectory is None:
                return Trajectory(
                    id=Trajectory.make_id(task.id, trial),
                    task_id=task.id,
                    trial=trial,
                    run_id=self.run_id,
                    endpoints=endpoints,
                    status=TrajectoryStatus.ERROR,
                    error=str(error),
                    started_at=started,
                    ended_at=time.time(),
                )
        return trajectory

    def _endpoints(self, source: ToolSource) -> dict[str, EndpointInfo]:
        found = {role.value: client.info for role, client in self.models.items()}
        found["mcp"] = EndpointInfo(model="", base_url=public_url(source.describe()))
        return found


class _RunProgress:
    """The progress bar: done, failed, tokens, ETA."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.bar = progress
        self.tokens = 0
        self.failed = 0
        self.task = progress.add_task("conversations", total=total, failed=0, tokens=0) if progress else None

    def advance(self, trajectory: Trajectory) -> None:
        self.failed += trajectory.status == TrajectoryStatus.ERROR
        self.tokens += sum(usage.total_tokens for usage in trajectory.usage.values())
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, failed=self.failed, tokens=self.tokens)


@contextmanager
def _progress(console: Console | None, total: int) -> Iterator[_RunProgress]:
    if console is None:
        yield _RunProgress(None, total)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("{task.fields[tokens]:,} tokens"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        yield _RunProgress(bar, total)


def summary_table(result: RunResult) -> Table:
    """Statuses, tokens per role and wall time of one invocation."""
    table = Table(title=f"run {result.out}", show_header=True)
    table.add_column("")
    table.add_column("value", justify="right")
    for status in TrajectoryStatus:
        table.add_row(status.value, str(result.count(status)))
    table.add_row("already done (skipped)", str(result.skipped))
    for role, usage in sorted(result.usage().items()):
        table.add_row(
            f"tokens {role}",
            f"{usage.prompt_tokens:,} in + {usage.completion_tokens:,} out ({usage.requests} requests)",
        )
    table.add_row("wall time", f"{result.wall_s:.1f} s")
    return table


def run_failure(result: RunResult, max_error_rate: float | None) -> RuntimeFailure | None:
    """The failure to exit with: every conversation made ended in an error, or more than
    ``max_error_rate`` of them did; None when the run did its job."""
    made = len(result.trajectories)
    errors = [t for t in result.trajectories if t.status == TrajectoryStatus.ERROR]
    if not made or not errors:
        return None
    share = len(errors) / made
    if len(errors) < made and (max_error_rate is None or share <= max_error_rate):
        return None
    limit = "all" if max_error_rate is None else f"more than --max-error-rate {max_error_rate:g}"
    return RuntimeFailure(
        f"{len(errors)} of {made} conversations ended in an error ({limit}); "
        f"first: {errors[0].id}: {clip(errors[0].error or 'no reason recorded', 200)}",
        where=str(result.out),
    )


def next_commands(out: Path) -> list[str]:
    return [f"button score {out}", f"button replay {out}"]
