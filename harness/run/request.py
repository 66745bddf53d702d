"""What ``button run`` was asked to do (``RunRequest``), and the manifest it records."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from button import __version__
from button.cost.budget import CostOptions
from button.cost.prices import PriceBook
from button.data_model.task import Task
from button.llm.endpoints import EndpointConfig, Role
from button.redact import public_url
from button.shard import WHOLE, Shard
from harness.run.assistant_protocol import AssistantProtocol
from harness.run.conversation import LoopSettings
from harness.run.mcp_tools import ToolSource
from harness.run.run_dir import RunDir, RunManifest, RunOptions, RunSettings, ToolsRecord


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
    shard: Shard = WHOLE  # this job's share of the (task, trial) pairs
    workers: int = 1  # processes sharing the work (harness/run/workers.py)

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
                shard=None if self.shard.whole else str(self.shard),
            ),
            options=RunOptions(  # may change between reruns
                tasks=self.selected,
                trials=self.trials,
                concurrency=self.concurrency,
                tool_cache=self.tool_cache,
                workers=self.workers,
            ),
        )
