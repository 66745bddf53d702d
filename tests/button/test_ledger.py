"""The cost ledger: summing ledgers (as a merge of shards does), cost.json, and where prices come from."""

from __future__ import annotations

from pathlib import Path

import pytest
from genai_prices import Usage as GenaiUsage
from genai_prices import calc_price

from button.cost.ledger import Ledger, read_ledger, sum_ledgers, write_ledger
from button.cost.prices import ModelPrice, PriceBook
from button.data_model.trajectory import Usage
from button.errors import RunFileError

OPENAI = "https://api.openai.com/v1"


def usage(prompt: int, completion: int, requests: int, cached: int = 0) -> Usage:
    return Usage(prompt_tokens=prompt, completion_tokens=completion, requests=requests, cached_tokens=cached)


def shard(conversations: int, assistant: Usage, judge: Usage | None = None) -> Ledger:
    ledger = Ledger(conversations=conversations, judgements=conversations if judge else 0)
    ledger.add("assistant", "gpt-4o-mini", assistant, OPENAI)
    ledger.add("user", "self-hosted", usage(10, 5, 1), "http://10.0.0.7:8000/v1")
    if judge is not None:
        ledger.add("judge", "gpt-4o-mini", judge, OPENAI)
    return ledger


def test_the_sum_of_two_ledgers_adds_every_count_and_the_money_where_known() -> None:
    prices = PriceBook()
    first = prices.priced(shard(2, usage(1000, 100, 4, cached=400), judge=usage(500, 20, 2)))
    second = prices.priced(shard(3, usage(3000, 300, 6)))
    total = sum_ledgers(first, second)
    assert (total.conversations, total.judgements, total.synth_rows) == (5, 2, 0)
    by_role = {line.role: line for line in total.lines}
    assert [line.role for line in total.lines] == ["user", "assistant", "judge"]
    assistant = by_role["assistant"]
    assert (assistant.prompt_tokens, assistant.cached_tokens, assistant.completion_tokens) == (4000, 400, 400)
    assert assistant.requests == 10
    assert assistant.usd == pytest.approx(first.lines[1].usd + second.lines[1].usd)  # type: ignore[operator]
    # priced by tokens, the sum of the shards' money is the money of the sum
    assert prices.priced(total).lines[1].usd == pytest.approx(assistant.usd)
    assert by_role["user"].usd is None and by_role["user"].requests == 2  # unknown stays unknown
    assert total.tokens == first.tokens + second.tokens
    assert total.usd == pytest.approx(first.usd + second.usd)
    assert total.unpriced_tokens == 30
    assert sum_ledgers(Ledger(), total) == total


def test_cost_json_round_trips_and_a_damaged_one_names_its_field(tmp_path: Path) -> None:
    ledger = PriceBook().priced(shard(1, usage(10, 2, 1)))
    path = tmp_path / "cost.json"
    write_ledger(path, ledger)
    assert read_ledger(path) == ledger
    path.write_text('{"conversations": 1, "lines": [{"role": "user", "model": "m", "requests": -1}]}')
    with pytest.raises(RunFileError) as raised:
        read_ledger(path)
    assert str(raised.value) == f"{path}: lines.0.requests: Input should be greater than or equal to 0"


def test_prices_come_from_the_file_the_embedded_model_or_the_provider_at_the_url() -> None:
    prices = PriceBook({"my-llama": ModelPrice(input=0.2, output=0.6)}, "prices.json")
    ledger = Ledger()
    ledger.add("assistant", "my-llama", usage(2_000_000, 1_000_000, 100), "http://10.0.0.7:8000/v1")
    ledger.add("user", "smollm2-135m", usage(5000, 500, 10), "http://127.0.0.1:4321/v1")
    ledger.add("tool", "gpt-4o-mini", usage(10_000, 1000, 10, cached=5000), OPENAI)
    ledger.add("judge", "gpt-4o-mini", usage(10_000, 1000, 10), "http://10.0.0.8:4000/v1")
    ledger.add("synth", "gpt-4o-mini", usage(10_000, 1000, 10), "")
    lines = {line.role: line for line in prices.priced(ledger).lines}
    assert (
        lines["assistant"].usd == pytest.approx(2 * 0.2 + 0.6)
        and lines["assistant"].price == "--prices prices.json"
    )
    assert lines["user"].usd == 0 and lines["user"].price == "embedded: free"
    expected = calc_price(
        GenaiUsage(input_tokens=10_000, cache_read_tokens=5000, output_tokens=1000), "gpt-4o-mini"
    )
    assert lines["tool"].usd == pytest.approx(float(expected.total_price))
    assert lines["tool"].price.startswith("genai-prices ") and lines["tool"].price.endswith(
        "OpenAI gpt-4o-mini"
    )
    # a server of no known provider may serve anything under that name: no price is guessed
    assert lines["judge"].usd is None and lines["judge"].price.startswith("unknown: no known price")
    # with no endpoint known at all (another MCP server's simulator), the name decides, and says so
    plain = calc_price(GenaiUsage(input_tokens=10_000, output_tokens=1000), "gpt-4o-mini")
    assert lines["synth"].usd == pytest.approx(float(plain.total_price))
    assert lines["synth"].price.endswith("(matched by model name)")


def test_an_embedded_run_s_cost_table_fits_80_columns_without_wrapping_a_row() -> None:
    """The demo's table wrapped every model name over three lines at 80 columns."""
    from rich.console import Console

    from button.cost.cost_table import cost_table

    ledger = Ledger()
    for role in ("user", "tool", "assistant"):
        ledger.add(role, "qwen2.5-coder-1.5b", usage(1968, 177, 4), "http://127.0.0.1:4321/v1")
    console = Console(width=80, record=True)
    console.print(cost_table(PriceBook({}, "").priced(ledger), "runs/demo/cost.json"))
    text = console.export_text()
    assert "price: embedded: free" in text and "cached" not in text
    rows = [line for line in text.splitlines() if line.strip().startswith(("user", "tool", "assistant"))]
    assert len(rows) == 3 and all("qwen2.5-coder-1.5b" in row for row in rows)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
