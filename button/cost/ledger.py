"""The cost ledger: requests and tokens per role and model, and what they cost.

A ``Ledger`` has one ``LedgerLine`` per (role, model) with the requests and
the prompt, cached and completion tokens the endpoints reported, and the
line's price in US dollars where one is known (``button.cost.prices`` fills it
in). It also counts the work it covers: conversations, judgements, synthesis
rows. Every number in it adds up, so the ledgers of shards sum to the ledger
of the whole (``sum_ledgers``): counts and tokens add, and so does the money,
which is unknown (None) where a part is unknown.

On disk it is ``cost.json`` (a run directory, a synthesis work dir), replaced
whole; the totals written beside the lines are for readers and are worked
out again from the lines when the file is read.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from button.data_model.trajectory import Usage
from button.errors import RunFileError
from button.storage.records import write_atomically

COST_FILE = "cost.json"
ROLE_ORDER = ["synth", "user", "tool", "assistant", "judge"]


class LedgerLine(BaseModel):
    """One role's use of one model."""

    model_config = ConfigDict(extra="forbid")

    role: str
    model: str
    base_url: str = ""  # where the model was reached, without credentials ("" unknown or embedded)
    requests: int = Field(default=0, ge=0)
    prompt_tokens: int = Field(default=0, ge=0)
    cached_tokens: int = Field(default=0, ge=0)  # the part of prompt_tokens served from a prompt cache
    completion_tokens: int = Field(default=0, ge=0)
    usd: float | None = None  # None: no known price (or not priced yet)
    price: str = ""  # where the price came from, or why there is none

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=self.cached_tokens,
            requests=self.requests,
        )

    def add(self, usage: Usage) -> None:
        """Count ``usage`` in; the line's money must be worked out again."""
        self.requests += usage.requests
        self.prompt_tokens += usage.prompt_tokens
        self.cached_tokens += usage.cached_tokens
        self.completion_tokens += usage.completion_tokens
        self.usd, self.price = None, ""


class Ledger(BaseModel):
    """What a run, a scoring or a synthesis cost, role by role."""

    model_config = ConfigDict(extra="ignore")  # the written totals are worked out again

    conversations: int = Field(default=0, ge=0)
    judgements: int = Field(default=0, ge=0)
    synth_rows: int = Field(default=0, ge=0)
    lines: list[LedgerLine] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tokens(self) -> int:
        return sum(line.tokens for line in self.lines)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def usd(self) -> float:
        """The money of the lines with a known price."""
        return sum(line.usd for line in self.lines if line.usd is not None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unpriced_tokens(self) -> int:
        """Tokens of lines with no known price: ``usd`` leaves them out."""
        return sum(line.tokens for line in self.lines if line.usd is None)

    def add(self, role: str, model: str, usage: Usage, base_url: str = "") -> None:
        """Count one role's ``usage`` of ``model`` in (a line is made when there is none)."""
        for line in self.lines:
            if (line.role, line.model) == (role, model):
                line.add(usage)
                return
        line = LedgerLine(role=role, model=model, base_url=base_url)
        line.add(usage)
        self.lines.append(line)
        self.lines.sort(key=_line_order)


def sum_ledgers(first: Ledger, second: Ledger) -> Ledger:
    """The ledger of both: counts, tokens and money added line by line, (role, model) being a
    line; a line's money is None when either side's is (a price unknown there)."""
    total = Ledger(
        conversations=first.conversations + second.conversations,
        judgements=first.judgements + second.judgements,
        synth_rows=first.synth_rows + second.synth_rows,
    )
    for line in [*first.lines, *second.lines]:
        have = next((h for h in total.lines if (h.role, h.model) == (line.role, line.model)), None)
        if have is None:
            total.lines.append(line.model_copy())
            continue
        usd = None if have.usd is None or line.usd is None else have.usd + line.usd
        price = have.price if line.price in have.price.split("; ") else f"{have.price}; {line.price}"
        have.add(line.usage)
        have.usd, have.price = usd, price
        have.base_url = have.base_url or line.base_url
    total.lines.sort(key=_line_order)
    return total


def read_ledger(path: Path) -> Ledger:
    """A ``cost.json``; ``RunFileError`` naming the file and the field when it is not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunFileError(f"unreadable cost ledger: {error}", where=str(path)) from error
    try:
        return Ledger.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise RunFileError(f"{field}: {first['msg']}", where=str(path)) from error


def write_ledger(path: Path, ledger: Ledger) -> None:
    write_atomically(path, ledger.model_dump_json(indent=2) + "\n")


def _line_order(line: LedgerLine) -> tuple[int, str]:
    rank = ROLE_ORDER.index(line.role) if line.role in ROLE_ORDER else len(ROLE_ORDER)
    return rank, line.model
