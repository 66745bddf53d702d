"""Holding conversations: ``run_pairs`` opens the models and the tool side and holds a list of
(task, trial) pairs, ``concurrency`` at a time, while the run's ``Gate`` (its budget) lets new
ones start; each trajectory goes to ``finished`` as it ends. ``button run`` calls it in its own
process, or in each ``--workers`` process (``harness.run.workers``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from button.data_model.task import Task
from button.data_model.trajectory import EndpointInfo, Trajectory, TrajectoryStatus
from button.errors import ButtonError
from button.llm.client import ModelClient, open_models
from button.llm.endpoints import Role
from button.redact import public_url
from harness.run.conversation import run_conversation
from harness.run.mcp_tools import ToolConnections, ToolSource
from harness.run.request import RunRequest
from simulator.user_simulator import UserSimulator

# task id, episode id -> where that conversation's tools are
ToolSourceFor = Callable[[str, str], ToolSource]
CACHE_FILE = "sim_cache.sqlite"


class Gate(Protocol):
    """What a run asks before each conversation starts (``RunSpend``, or a worker's stand-in):
    ``reached()`` is the budget cap reached, or None; ``models`` is set once they are open,
    for the spending of the requests in flight."""

    models: dict[Role, ModelClient]

    def reached(self) -> str | None: ...


Finished = Callable[[Trajectory], Awaitable[None]]


async def run_pairs(
    request: RunRequest, run_id: str, todo: list[tuple[Task, int]], finished: Finished, gate: Gate
) -> None:
    """Hold the conversations of ``todo``, ``request.concurrency`` at a time, while ``gate``
    lets new ones start; hand each trajectory to ``finished`` as it ends."""
    async with (
        open_models(list(request.endpoints.values())) as models,
        _tool_side(request, models) as source_for,
        ToolConnections(request.out / "mcp_server.log") as connections,
    ):
        gate.models = models
        worker = _Worker(request, run_id, models, source_for, connections, finished, gate)
        await worker.run_all(todo)


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
        finished: Finished,
        gate: Gate,
    ) -> None:
        self.request = request
        self.run_id = run_id
        self.models = models
        self.source_for = source_for
        self.connections = connections
        self.finished = finished
        self.gate = gate

    async def run_all(self, todo: list[tuple[Task, int]]) -> None:
        queue: asyncio.Queue[tuple[Task, int]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        workers = min(self.request.concurrency, len(todo))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(self._drain(queue))

    async def _drain(self, queue: asyncio.Queue[tuple[Task, int]]) -> None:
        while not queue.empty() and self.gate.reached() is None:
            task, trial = queue.get_nowait()
            await self.finished(await self.one(task, trial))

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
