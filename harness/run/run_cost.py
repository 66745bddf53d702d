"""The cost ledger of a run directory, and what a ``button run`` spends against its budget.

A run's ledger (``cost.json``) is worked out from its records, never kept as
a running total: each conversation in ``trajectories.jsonl`` (its usage per
role, priced by the endpoint it records for that role; the tool role's usage
is what the tool server reported in each result's ``_meta.button.usage``)
plus each judge verdict in ``scores.jsonl`` and in the journal of an
unfinished scoring. So a resumed run, a retried error or a rescoring counts
every recorded conversation and verdict exactly once, and the ledgers of
shards add up to the ledger of the whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from button.cost.budget import CostOptions, Spend, clients_ledger
from button.cost.ledger import COST_FILE, Ledger, sum_ledgers, write_ledger
from button.data_model.trajectory import EndpointInfo, JudgeVerdict, Score, Trajectory, Usage
from button.llm.endpoints import EndpointConfig, Role
from button.storage.records import iter_lines
from harness.run.run_dir import RunFiles
from harness.score.score_run import earlier_verdicts

if TYPE_CHECKING:
    from button.llm.client import ModelClient


class _Spent(BaseModel):
    """What the ledger reads of a trajectory line (the messages are skipped, not parsed)."""

    usage: dict[str, Usage] = {}
    endpoints: dict[str, EndpointInfo] = {}


def add_conversation(ledger: Ledger, usage: dict[str, Usage], endpoints: dict[str, EndpointInfo]) -> None:
    ledger.conversations += 1
    for role, used in usage.items():
        endpoint = endpoints.get(role) or EndpointInfo(model="", base_url="")
        ledger.add(role, endpoint.model, used, endpoint.base_url)


def add_verdict(ledger: Ledger, verdict: JudgeVerdict) -> None:
    ledger.judgements += 1
    ledger.add(Role.JUDGE.value, verdict.model, verdict.usage, verdict.base_url)


def conversations_ledger(trajectories: Path) -> Ledger:
    """Every conversation recorded in ``trajectories`` (a bad line is left to the reader that
    needs it to say so)."""
    ledger = Ledger()
    if not trajectories.exists():
        return ledger
    for _, value, _ in iter_lines(trajectories):
        try:
            spent = _Spent.model_validate(value)
        except ValidationError:
            continue
        add_conversation(ledger, spent.usage, spent.endpoints)
    return ledger


def verdicts_ledger(scores: Path) -> Ledger:
    """The judge verdicts recorded in ``scores`` and in its journal (the journal's verdict of a
    trajectory is the newer one)."""
    ledger = Ledger()
    for verdict in earlier_verdicts(scores, None).values():
        add_verdict(ledger, verdict)
    return ledger


def cost_file(run: RunFiles) -> Path:
    return run.folder / COST_FILE


class RunSpend:
    """The cost side of one ``button run``: the run's ledger before it (``earlier``), the
    conversations it records (``made``), and its ``Spend`` against the budget, which also sees
    the requests of conversations still running (the clients count every request)."""

    def __init__(self, options: CostOptions, run: RunFiles, endpoints: dict[Role, EndpointConfig]) -> None:
        self.options = options
        self.run = run
        self.earlier = sum_ledgers(conversations_ledger(run.trajectories), verdicts_ledger(run.scores))
        self.made = Ledger()
        self.models: dict[Role, ModelClient] = {}  # set once the models are open
        # what is spent beyond the records: this process's clients, or (--workers) the workers'
        self.live: Callable[[], Ledger] = lambda: live_ledger(self.models, self.made)
        self.spend = Spend(options, self.earlier, lambda: self.live())
        used = [(role.value, config.model or "", config.base_url or "") for role, config in endpoints.items()]
        options.require_prices(
            [*used, *((line.role, line.model, line.base_url) for line in self.earlier.lines)]
        )

    def reached(self) -> str | None:
        return self.spend.reached()

    def record(self, trajectory: Trajectory) -> None:
        add_conversation(self.made, trajectory.usage, trajectory.endpoints)

    def write(self) -> Ledger:
        """The run's whole ledger, priced and written to ``cost.json``."""
        ledger = self.options.prices.priced(sum_ledgers(self.earlier, self.made))
        write_ledger(cost_file(self.run), ledger)
        return ledger


def live_ledger(models: dict[Role, ModelClient], made: Ledger) -> Ledger:
    """What a run's ``models`` have used so far, and the tool role's usage in the conversations
    ``made`` when the tools are another MCP server's (known once a result reports it)."""
    live = clients_ledger(models)
    if Role.TOOL not in models:
        live.lines += [line.model_copy() for line in made.lines if line.role == Role.TOOL.value]
    return live


class ScoreSpend:
    """The cost side of one ``button score``. The conversations are counted as the scoring reads
    them; only a judge under a cap needs them (and the earlier verdicts) before the first
    judgement, and then reads them first. The new verdicts are those of the scores written."""

    def __init__(self, options: CostOptions, run: RunFiles, judge: EndpointConfig | None) -> None:
        self.options = options
        self.run = run
        self.capped = options.budget.capped and judge is not None
        self.conversations = conversations_ledger(run.trajectories) if self.capped else Ledger()
        self.judged = Ledger()
        earlier = sum_ledgers(self.conversations, verdicts_ledger(run.scores)) if self.capped else Ledger()
        self.models: dict[Role, ModelClient] = {}  # set once the judge is open
        self.spend = Spend(options, earlier, lambda: clients_ledger(self.models))
        if self.capped and judge is not None:
            used = [(judge.role.value, judge.model or "", judge.base_url or "")]
            options.require_prices(
                [*used, *((line.role, line.model, line.base_url) for line in earlier.lines)]
            )

    @property
    def budget(self) -> Callable[[], str | None] | None:
        """What ``score_run`` asks before each judgement, when there is a cap."""
        return self.spend.reached if self.capped else None

    def read(self, trajectory: Trajectory) -> None:
        if not self.capped:
            add_conversation(self.conversations, trajectory.usage, trajectory.endpoints)

    def written(self, score: Score) -> None:
        if score.judge is not None:
            add_verdict(self.judged, score.judge)

    def write(self, *, from_files: bool = False) -> Ledger:
        """The run's ledger, priced and written: the conversations and the new scores' verdicts,
        or (``from_files``: a stopped or sharded scoring) every verdict its files hold."""
        verdicts = verdicts_ledger(self.run.scores) if from_files else self.judged
        ledger = self.options.prices.priced(sum_ledgers(self.conversations, verdicts))
        write_ledger(cost_file(self.run), ledger)
        return ledger
