"""Where a run's finished trajectories go: appended to ``trajectories.jsonl``, then counted.

Appends are committed in groups: whatever finished while the last write was on
disk is written next, with one fsync, in a thread, so neither a slow disk (a
cluster file system) nor the event loop waits on the other. A trajectory is
handed to ``recorded`` (the run's progress, its list, its cost ledger) only once
its line is on disk. Lines come from one process's conversations or, as JSON
already written, from ``--workers`` processes (``harness.run.workers``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from button.data_model.trajectory import Trajectory
from button.storage.records import RecordWriter


class TrajectorySink:
    """One writer of a run's trajectories; ``aclose`` writes what is left."""

    def __init__(self, writer: RecordWriter, recorded: Callable[[Trajectory], None]) -> None:
        self.writer = writer
        self.recorded = recorded
        self._queue: list[tuple[Trajectory, str, asyncio.Future[None] | None]] = []
        self._flusher: asyncio.Task[None] | None = None

    def add(self, trajectory: Trajectory, line: str | None = None) -> None:
        """Queue ``trajectory`` (``line``: its JSON, when the caller has it already)."""
        self._enqueue(trajectory, line, None)

    async def record(self, trajectory: Trajectory, line: str | None = None) -> None:
        """Queue ``trajectory`` and wait until it is on disk."""
        committed = asyncio.get_running_loop().create_future()
        self._enqueue(trajectory, line, committed)
        await committed

    def _enqueue(self, trajectory: Trajectory, line: str | None, done: asyncio.Future[None] | None) -> None:
        self._queue.append((trajectory, line if line is not None else trajectory.model_dump_json(), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await asyncio.to_thread(self.writer.append_lines, [line for _, line, _ in batch])
            except BaseException as error:
                for _, _, done in batch:
                    if done is not None and not done.done():
                        done.set_exception(error)
                raise
            for trajectory, _, done in batch:
                self.recorded(trajectory)
                if done is not None and not done.done():
                    done.set_result(None)

    async def aclose(self) -> None:
        """Wait for every queued trajectory to be written (raising a failed write)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
