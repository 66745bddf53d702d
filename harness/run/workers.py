"""``button run --workers K``: K processes share one run's conversations.

One process drives conversations on one core; past a few hundred at once its
CPU, not the models, sets the pace. With ``--workers K`` the command's own
process stays the run's one owner: it holds the run directory's lock, writes
the manifest, works out what is left, is the one writer of
``trajectories.jsonl`` and ``cost.json``, keeps the budget and shows the one
progress bar. It starts K worker processes (``multiprocessing``, spawned).
Worker ``w`` takes the pairs of ``request.shard.split(w, K)``, the shard
partition again, and ``--concurrency`` is divided among the workers. Each
worker has its own event loop, model clients and tool side (the tasks served
in-process on a port of its own; the simulator cache file is shared, SQLite in
WAL mode, made for several processes) and writes nothing to the run directory.

Two pipes join a worker to the parent. Up: each finished trajectory's JSON
line (the parent appends it as it is, ``harness.run.trajectory_sink``), the worker's
spending so far (its clients' usage, after each conversation and every
second while a budget is set, so the parent's ``RunSpend`` sees requests in
flight as one process's does), then ``done`` or the error that stopped it.
Down: ``stop`` once the parent finds a budget cap reached (the worker starts no
new conversation and finishes those running), and the end of the pipe when
the parent stops or is gone (the worker unwinds at once).

Stopping: workers ignore SIGINT; the parent, stopped by Ctrl-C or SIGTERM,
closes their pipes, and each unwinds as a one-process run does (one that does
not within ``STOP_WAIT_S`` is killed). A worker that fails sends its error (the
parent stops the others and exits with it); one that dies without a word is
named with its exit code. Either way the trajectories received so far are on
disk, and a rerun resumes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from button.cost.ledger import Ledger, sum_ledgers
from button.data_model.task import Task
from button.data_model.trajectory import Trajectory
from button.errors import ButtonError, ConfigError, InputError, RuntimeFailure
from button.llm.client import ModelClient
from button.llm.endpoints import Role
from harness.run.pairs import run_pairs
from harness.run.request import RunRequest
from harness.run.run_cost import RunSpend, add_conversation, live_ledger
from harness.run.trajectory_sink import TrajectorySink

STOP_WAIT_S = 30.0  # how long a stopped worker may take to unwind before it is killed
SPENT_EVERY_S = 1.0  # how often a worker under a budget reports what it has spent

Pair = tuple[str, int]  # (task id, trial)


@dataclass(frozen=True)
class WorkerJob:
    """What one worker process is given."""

    number: int
    request: RunRequest  # with this worker's tasks and concurrency, and workers=1
    run_id: str
    pairs: list[Pair]


def check_workers(request: RunRequest) -> None:
    """``--workers`` that can work: at most ``--concurrency``, and no embedded model
    (its one server answers one request at a time; more processes would only queue)."""
    if request.workers <= 1:
        return
    if request.workers > request.concurrency:
        raise ConfigError(
            f"{request.workers} workers would share --concurrency {request.concurrency}: "
            "give at most one worker per conversation at once",
            where="--workers",
        )
    embedded = sorted(role.value for role, config in request.endpoints.items() if config.embedded)
    if embedded:
        raise ConfigError(
            f"the {', '.join(embedded)} role(s) use the embedded model, which answers one request at a "
            "time; more workers need every role on an endpoint (--<role>-base-url)",
            where="--workers",
        )


def worker_jobs(request: RunRequest, run_id: str, todo: list[tuple[Task, int]]) -> list[WorkerJob]:
    """The pairs of ``todo`` dealt to ``request.workers`` workers by the shard partition,
    ``--concurrency`` divided among them (workers with nothing to do left out)."""
    count = request.workers
    jobs: list[WorkerJob] = []
    for number in range(count):
        share = request.shard.split(number, count)
        pairs = [(task.id, trial) for task, trial in todo if share.owns(task.id, trial)]
        concurrency = request.concurrency // count + (number < request.concurrency % count)
        if pairs:
            ids = {task_id for task_id, _ in pairs}
            tasks = [task for task in request.tasks if task.id in ids]  # what the worker is sent
            job_request = replace(request, tasks=tasks, concurrency=concurrency, workers=1)
            jobs.append(WorkerJob(number, job_request, run_id, pairs))
    return jobs


@dataclass
class _Started:
    job: WorkerJob
    process: BaseProcess
    up: Connection  # the worker's messages
    down: Connection  # stop, and its end when the parent is done with the worker


@dataclass
class _Spent:
    """The workers' spending, as each last reported it."""

    by_worker: dict[int, Ledger] = field(default_factory=dict)

    def total(self) -> Ledger:
        total = Ledger()
        for ledger in self.by_worker.values():
            total = sum_ledgers(total, ledger)
        return total


async def run_in_workers(
    request: RunRequest, run_id: str, todo: list[tuple[Task, int]], sink: TrajectorySink, costs: RunSpend
) -> None:
    """Run ``todo`` in worker processes; every trajectory they make goes to ``sink``, and
    ``costs`` decides when they must stop starting conversations."""
    jobs = worker_jobs(request, run_id, todo)
    spent = _Spent()
    costs.live = spent.total
    spawn = multiprocessing.get_context("spawn")
    started: list[_Started] = []
    readers = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="worker-pipe")
    try:
        for job in jobs:
            up_read, up_write = spawn.Pipe(duplex=False)
            down_read, down_write = spawn.Pipe(duplex=False)
            process: BaseProcess = spawn.Process(
                target=worker_main,
                args=(job, up_write, down_read),
                name=f"button-run-worker-{job.number}",
                daemon=True,
            )
            process.start()
            up_write.close()  # the worker's ends: closed here, so its exit reads as end of file
            down_read.close()
            started.append(_Started(job, process, up_read, down_write))
        async with asyncio.TaskGroup() as group:
            for worker in started:
                group.create_task(_receive(worker, started, readers, sink, costs, spent))
    except BaseExceptionGroup as group_error:
        raise _first(group_error) from None
    finally:
        for worker in started:
            worker.down.close()  # the workers still running unwind
        await asyncio.to_thread(_stop, [worker.process for worker in started])
        readers.shutdown(wait=True)
        for worker in started:
            worker.up.close()


async def _receive(
    worker: _Started,
    everyone: list[_Started],
    readers: ThreadPoolExecutor,
    sink: TrajectorySink,
    costs: RunSpend,
    spent: _Spent,
) -> None:
    """Take one worker's messages until it says it is done; tell every worker to stop
    starting conversations once a budget cap is reached."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            message = await loop.run_in_executor(readers, worker.up.recv)
        except EOFError:
            await asyncio.to_thread(worker.process.join, STOP_WAIT_S)
            raise RuntimeFailure(
                f"worker {worker.job.number} ended (exit code {worker.process.exitcode}) before finishing "
                "its share; rerun to resume",
                where="--workers",
            ) from None
        kind = message[0]
        if kind == "trajectory":
            line: str = message[1]
            sink.add(Trajectory.model_validate_json(line), line)
        elif kind == "spent":
            spent.by_worker[worker.job.number] = Ledger.model_validate_json(message[1])
        elif kind == "failed":
            _, exit_code, what, where = message
            raise (InputError if exit_code == InputError.exit_code else RuntimeFailure)(what, where)
        else:
            return
        if costs.spend.stopped is None and (reached := costs.reached()) is not None:
            for other in everyone:
                with suppress(OSError):  # a worker that has ended needs no stop
                    other.down.send(("stop", reached))


def _stop(processes: list[BaseProcess]) -> None:
    """Wait for the workers to end; kill those that do not."""
    for process in processes:
        process.join(STOP_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report from a group: a ``ButtonError`` first, else the first there is."""
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group)
    return next((error for error in leaves if isinstance(error, ButtonError)), leaves[0])


def worker_main(job: WorkerJob, up: Connection, down: Connection) -> None:
    """A worker process: run the job's pairs, send each trajectory, then say done or why not."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    try:
        asyncio.run(_work(job, up, down))
        up.send(("done",))
    except ButtonError as error:
        up.send(("failed", error.exit_code, error.what, error.where))
    except (asyncio.CancelledError, BrokenPipeError):
        pass  # stopped by the parent, or the parent is gone
    finally:
        up.close()


class _WorkerGate:
    """A worker's stand-in for the run's ``RunSpend``: stopped when the parent says so."""

    def __init__(self) -> None:
        self.models: dict[Role, ModelClient] = {}
        self.made = Ledger()  # this worker's finished conversations (the tool role's usage)
        self.stopped: str | None = None

    def reached(self) -> str | None:
        return self.stopped

    def spent(self) -> str:
        return live_ledger(self.models, self.made).model_dump_json()


async def _work(job: WorkerJob, up: Connection, down: Connection) -> None:
    tasks = {task.id: task for task in job.request.tasks}
    todo = [(tasks[task_id], trial) for task_id, trial in job.pairs]
    gate = _WorkerGate()
    capped = job.request.cost.budget.capped
    work = asyncio.current_task()
    assert work is not None

    def from_parent() -> None:
        try:
            message = down.recv()
        except EOFError:  # the parent is done with us, or gone
            loop.remove_reader(down.fileno())
            work.cancel()
            return
        if message[0] == "stop":
            gate.stopped = message[1]

    async def report_spent() -> None:
        while True:
            await asyncio.sleep(SPENT_EVERY_S)
            up.send(("spent", gate.spent()))

    async def finished(trajectory: Trajectory) -> None:
        add_conversation(gate.made, trajectory.usage, trajectory.endpoints)
        if capped:
            up.send(("spent", gate.spent()))
        up.send(("trajectory", trajectory.model_dump_json()))

    loop = asyncio.get_running_loop()
    loop.add_reader(down.fileno(), from_parent)
    reporter = asyncio.create_task(report_spent()) if capped else None
    try:
        await run_pairs(job.request, job.run_id, todo, finished, gate)
    finally:
        if reporter is not None:
            reporter.cancel()
        if not down.closed:
            loop.remove_reader(down.fileno())
