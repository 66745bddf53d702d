"""The synthesis driver: runs the seven stages in order through the stage store
and writes the kept tasks to the output task file.

The work dir's cost ledger (``OUT.work/cost.json``) is the sum of what its
recorded rows cost, so a resumed synthesis counts each row once. When a budget
cap keeps rows from starting, the stages stop there, the task file is not
written, and the result carries the ``BudgetReached`` to end the command with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import Field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from button.cost.budget import CostOptions, Spend, clients_ledger
from button.cost.ledger import COST_FILE, Ledger, write_ledger
from button.cost.prices import PriceBook
from button.data_model.task import Strategy
from button.data_model.trajectory import Usage
from button.errors import BudgetReached
from button.llm.client import open_models
from button.llm.endpoints import EndpointConfig
from button.redact import public_url
from button.shard import WHOLE, Shard
from button.storage.manifest import Manifest
from button.storage.records import write_atomically
from button.validation.taskfile import file_sha256
from simulator.synthesis import (
    atomic,
    atomic_verify,
    compose,
    compose_verify,
    conversations,
    functions,
    plan,
    scenarios,
)
from simulator.synthesis.rows import ConversationRow, ScenarioSource, TaskJson, WithFunctions
from simulator.synthesis.stage_context import SynthContext, prompts_digest
from simulator.synthesis.stage_runner import Stage, StageReport, StageRunner
from simulator.synthesis.stage_store import StageStore


class SynthManifest(Manifest):
    """``OUT.work/manifest.json``: every field must match for the work to resume."""

    scenarios_file_sha256: str | None
    conversations_file_sha256: str | None
    n_scenarios: int
    tasks_per_scenario: int
    tries: int = Field(default=1, exclude_if=lambda value: value == 1)  # --tries; 1 before it existed
    strategies: list[Strategy]
    seed: int
    model: str | None
    temperature: float | None
    max_tokens: int | None
    prompts: str  # digest of the synth prompt files
    shard: str | None = Field(default=None, exclude_if=lambda value: value is None)  # "I/N" (--shard)


@dataclass(frozen=True)
class SynthConfig:
    out: Path
    endpoint: EndpointConfig
    scenarios_file: Path | None = None
    conversations_file: Path | None = None
    n_scenarios: int = 0
    tasks_per_scenario: int = 3
    tries: int = 3  # of a row in the stages that write with the model (``Stage.tries``)
    strategies: tuple[Strategy, ...] = (Strategy.SEQUENTIAL, Strategy.PARALLEL_THEN_SEQUENTIAL)
    concurrency: int = 4
    seed: int = 0
    force_new: bool = False
    shard: Shard = WHOLE  # this job's share of the scenarios

    @property
    def work_dir(self) -> Path:
        return self.out.with_name(self.out.name + ".work")

    def manifest(self) -> SynthManifest:
        """What the work in the work dir depends on. The base URL is left out: the
        same model moved to another port is the same work."""
        return SynthManifest(
            scenarios_file_sha256=file_sha256(self.scenarios_file) if self.scenarios_file else None,
            conversations_file_sha256=(
                file_sha256(self.conversations_file) if self.conversations_file else None
            ),
            n_scenarios=self.n_scenarios,
            tasks_per_scenario=self.tasks_per_scenario,
            tries=self.tries,
            strategies=list(self.strategies),
            seed=self.seed,
            model=self.endpoint.model,
            temperature=self.endpoint.temperature,
            max_tokens=self.endpoint.max_tokens,
            prompts=prompts_digest(),
            shard=None if self.shard.whole else str(self.shard),
        )


@dataclass
class SynthResult:
    tasks: list[TaskJson]
    reports: list[StageReport]
    requests: int
    ledger: Ledger  # the work dir's, as in cost.json
    stopped: BudgetReached | None = None  # a cap kept rows from starting; the task file is not written


async def synthesize(config: SynthConfig, console: Console, cost: CostOptions | None = None) -> SynthResult:
    first: list[tuple[str, ScenarioSource]] = []
    conversation_rows: list[tuple[str, ConversationRow]] = []  # the first stage's inputs with --conversations
    if config.scenarios_file is not None:
        first = scenarios.file_inputs(scenarios.read_scenarios(config.scenarios_file))
    elif config.conversations_file is not None:
        found = conversations.read_conversations(config.conversations_file)
        conversation_rows = [
            row for row in conversations.conversation_inputs(found) if config.shard.owns(row[0])
        ]
    else:
        first = scenarios.generation_inputs(config.n_scenarios, config.seed)
    first = [(key, item) for key, item in first if config.shard.owns(key)]
    cost = cost or CostOptions(PriceBook())
    endpoint = config.endpoint
    cost.require_prices([(endpoint.role.value, endpoint.model or "", endpoint.base_url or "")])
    store = StageStore(config.work_dir, config.manifest(), force_new=config.force_new)
    progress = Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    stopped: BudgetReached | None = None
    tasks: list[TaskJson] = []
    try:
        earlier = _ledger(config, *store.recorded_usage())
        async with open_models([config.endpoint]) as models:
            client = models[config.endpoint.role]
            spend = Spend(cost, earlier, lambda: clients_ledger(models))
            ctx = SynthContext(client, config.concurrency, config.seed, spend.reached)
            runner = StageRunner(store, progress, ctx)
            with progress:
                try:
                    tasks = await _stages(config, ctx, runner, first, conversation_rows)
                except BudgetReached as reached:
                    stopped = reached
            requests = client.usage.requests
        # Still holding the work dir's lock: no other synth writes OUT meanwhile.
        if stopped is None:
            _write_tasks(config.out, tasks)
        reports = runner.reports
        report = json.dumps([r.as_json() for r in reports], indent=2) + "\n"
        write_atomically(config.work_dir / "report.json", report)
        ledger = cost.prices.priced(_ledger(config, *store.recorded_usage()))
        write_ledger(config.work_dir / COST_FILE, ledger)
    finally:
        store.close()
    return SynthResult(tasks=tasks, reports=reports, requests=requests, ledger=ledger, stopped=stopped)


def _ledger(config: SynthConfig, rows: int, usage: Usage) -> Ledger:
    """The ledger of ``rows`` synthesis rows that cost ``usage``."""
    endpoint = config.endpoint
    ledger = Ledger(synth_rows=rows)
    ledger.add(endpoint.role.value, endpoint.model or "", usage, public_url(endpoint.base_url or ""))
    return ledger


async def _stages(
    config: SynthConfig,
    ctx: SynthContext,
    runner: StageRunner,
    first: list[tuple[str, ScenarioSource]],
    conversation_rows: list[tuple[str, ConversationRow]],
) -> list[TaskJson]:
    if config.conversations_file is not None:
        first = await runner.run(
            Stage(
                "extract",
                "1 scenarios from conversations",
                partial(conversations.extract_scenario, ctx),
                precheck=conversations.has_user_text,
            ),
            conversation_rows,
        )
    found = await runner.run(
        Stage(
            "scenarios",
            "1 scenarios",
            partial(scenarios.make_scenario, ctx),
            postcheck=scenarios.scenario_duplicates(),
        ),
        first,
    )
    k = config.tasks_per_scenario
    generated = await runner.run(
        Stage("atomic", "2 atomic tasks", lambda key, item: atomic.make_atomic_tasks(ctx, key, item, k)),
        found,
    )
    verified = await runner.run(
        Stage(
            "atomic_verify",
            "3 atomic verification",
            partial(atomic_verify.verify_atomic, ctx),
            precheck=atomic_verify.atomic_rules(),
        ),
        atomic.flatten(generated),
    )
    composed = await runner.run(
        Stage(
            "compose",
            "4 composition",
            partial(compose.compose, ctx),
            postcheck=compose.composed_duplicates(),
            tries=config.tries,
        ),
        compose.composition_inputs(verified, list(config.strategies), config.seed, k),
    )
    instructed = await runner.run(
        Stage(
            "compose_verify",
            "5 verification + instruction",
            partial(compose_verify.verify_and_instruct, ctx),
            postcheck=compose_verify.instruction_duplicates(),
            tries=config.tries,
        ),
        composed,
    )
    with_functions = await runner.run(
        Stage(
            "functions",
            "6 function synthesis",
            partial(functions.synthesize_functions, ctx),
            tries=config.tries,
        ),
        instructed,
    )
    planned = await runner.run(Stage("plan", "7 plan + task rules", _plan_work), with_functions)
    return [data for _, data in planned]


async def _plan_work(key: str, item: WithFunctions) -> TaskJson:
    return plan.build_task(key, item)


def _write_tasks(out: Path, tasks: list[TaskJson]) -> None:
    write_atomically(out, "".join(json.dumps(task, ensure_ascii=False) + "\n" for task in tasks))
