"""A priced ledger as the table ``run``, ``score`` and ``synth`` print."""

from __future__ import annotations

from rich import box
from rich.table import Table

from button.cost.ledger import Ledger


def cost_table(ledger: Ledger, where: str) -> Table:
    """One row per role and model, then the total; ``where`` names the ledger's file.

    So that the table fits 80 columns, the cached-tokens column is left out when
    no endpoint reported any (the embedded model never does), and a price note
    every row shares is said once, in the title."""
    notes = {line.price for line in ledger.lines}
    shared_note = notes.pop() if len(notes) == 1 and not ledger.unpriced_tokens else None
    table = Table(
        title=f"cost of {covered(ledger)} ({where})" + (f"; price: {shared_note}" if shared_note else ""),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    cached = any(line.cached_tokens for line in ledger.lines)
    table.add_column("role", no_wrap=True)
    table.add_column("model", no_wrap=True)
    for header in ("requests", "prompt", *(["cached"] if cached else []), "completion", "USD"):
        table.add_column(header, justify="right", no_wrap=True)
    if shared_note is None:
        table.add_column("price", overflow="fold")
    for line in ledger.lines:
        table.add_row(
            line.role,
            line.model,
            f"{line.requests:,}",
            f"{line.prompt_tokens:,}",
            *([f"{line.cached_tokens:,}"] if cached else []),
            f"{line.completion_tokens:,}",
            "unknown" if line.usd is None else money(line.usd),
            *([line.price] if shared_note is None else []),
        )
    unpriced = f"+ {ledger.unpriced_tokens:,} tokens at no known price" if ledger.unpriced_tokens else ""
    table.add_row(
        "total",
        "",
        f"{sum(line.requests for line in ledger.lines):,}",
        f"{sum(line.prompt_tokens for line in ledger.lines):,}",
        *([f"{sum(line.cached_tokens for line in ledger.lines):,}"] if cached else []),
        f"{sum(line.completion_tokens for line in ledger.lines):,}",
        money(ledger.usd),
        *([unpriced] if shared_note is None else []),
    )
    return table


def covered(ledger: Ledger) -> str:
    """What the ledger counts, e.g. "12 conversations, 12 judgements"."""
    parts = [
        counted(count, noun)
        for count, noun in (
            (ledger.conversations, "conversation"),
            (ledger.judgements, "judgement"),
            (ledger.synth_rows, "synthesis row"),
        )
        if count
    ]
    return ", ".join(parts) or "no recorded work"


def counted(count: int, noun: str) -> str:
    """ "1 conversation", "3 conversations"."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


def money(usd: float) -> str:
    return f"${usd:,.4f}" if usd < 100 else f"${usd:,.2f}"
