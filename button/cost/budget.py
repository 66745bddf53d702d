"""Budget caps and the cost flags of ``run``, ``synth`` and ``score``.

``--budget-usd X`` and ``--budget-tokens N`` cap what the output directory's
ledger may reach: what was recorded there before (a resumed run, earlier
verdicts) plus what this command's model clients have used since. Before a
new conversation, synthesis row or judgement starts, the command asks its
``Spend`` whether a cap is reached; once it is, nothing new starts, what
is running finishes and is recorded whole, and the command ends with
``BudgetReached`` (exit code 3). The caps are not settings of the work, so a
rerun with a higher cap resumes where the last one stopped.

A USD cap needs a price for every model the command uses: one without is
refused at the start (``CostOptions.require_prices``), never counted as free.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from button.cli.arg_types import number_in
from button.cost.ledger import Ledger, sum_ledgers
from button.errors import ConfigError

if TYPE_CHECKING:
    from button.cost.prices import PriceBook
    from button.llm.client import ModelClient
    from button.llm.endpoints import Role


@dataclass(frozen=True)
class Budget:
    usd: float | None = None
    tokens: int | None = None

    @property
    def capped(self) -> bool:
        return self.usd is not None or self.tokens is not None

    def reached(self, spent: Ledger) -> str | None:
        """Which cap ``spent`` (a priced ledger) has reached, in words; None when none."""
        if self.tokens is not None and spent.tokens >= self.tokens:
            return f"--budget-tokens {self.tokens:,} reached ({spent.tokens:,} tokens spent)"
        if self.usd is not None and spent.usd >= self.usd:
            return f"--budget-usd {self.usd:g} reached (${spent.usd:,.4f} spent)"
        return None


@dataclass
class CostOptions:
    """The prices and the budget of one command."""

    prices: PriceBook
    budget: Budget = field(default_factory=Budget)

    def require_prices(self, models: Iterable[tuple[str, str, str]]) -> None:
        """With a USD cap, every (role, model, base URL) must have a price."""
        if self.budget.usd is None:
            return
        for role, model, base_url in models:
            if not self.prices.known(model, base_url):
                raise ConfigError(
                    f"no price for the {role} model {model!r}, so its spending cannot be capped in "
                    "USD: give its price with --prices FILE, or cap tokens with --budget-tokens",
                    where="--budget-usd",
                )


class Spend:
    """What one command has spent against its budget: the ``earlier`` ledger plus ``live()``,
    what its clients have used since it started. A reached cap stays reached."""

    def __init__(self, options: CostOptions, earlier: Ledger, live: Callable[[], Ledger]) -> None:
        self.options = options
        self.earlier = earlier
        self.live = live
        self.stopped: str | None = None

    def reached(self) -> str | None:
        """The cap reached, in words, or None while new work may start."""
        if self.stopped is None and self.options.budget.capped:
            spent = self.options.prices.priced(sum_ledgers(self.earlier, self.live()))
            self.stopped = self.options.budget.reached(spent)
        return self.stopped


def clients_ledger(clients: dict[Role, ModelClient]) -> Ledger:
    """What ``clients`` have used so far (each counts every request it made)."""
    ledger = Ledger()
    for role, client in clients.items():
        ledger.add(
            role.value, client.model, client.usage, "" if client.config.embedded else client.info.base_url
        )
    return ledger


def add_cost_flags(parser: argparse.ArgumentParser, work: str) -> None:
    """``--prices FILE``, ``--budget-usd X`` and ``--budget-tokens N``; ``work`` names what a
    cap stops starting ("conversation", "row", "judgement")."""
    group = parser.add_argument_group("cost (see the README, 'Cost and budgets')")
    group.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="model prices in USD per million tokens, JSON, TOML or YAML: "
        '{"MODEL": {"input": X, "output": Y, "cached_input": Z}}; they win over the genai-prices table',
    )
    group.add_argument(
        "--budget-usd",
        type=number_in(float, 0.0, 1e12),
        metavar="X",
        help=f"start no new {work} once the ledger (cost.json) reaches X US dollars; exit 3",
    )
    group.add_argument(
        "--budget-tokens",
        type=number_in(int, 0, 10**15),
        metavar="N",
        help=f"start no new {work} once the ledger reaches N tokens (prompt + completion); exit 3",
    )


def cost_options(args: argparse.Namespace) -> CostOptions:
    from button.cost.prices import PriceBook, load_prices

    prices = load_prices(args.prices) if args.prices is not None else PriceBook()
    return CostOptions(prices, Budget(usd=args.budget_usd, tokens=args.budget_tokens))
