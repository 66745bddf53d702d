"""``button synth`` with the real embedded model.

The tiny model yields no finished task (the default one a few, see the
README), so what is checked is what a real model's answers go through: every
row accounted for from stage to stage, drops named by their codes, the model's
atomic tasks reaching verification, and a rerun that resumes every row from
the work dir without a model call. A task that does survive must pass
``button tasks validate``."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.synthesis.stage_context import DropReason

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.model
def test_small_synth_run_completes(tmp_path: Path, model_env: dict[str, str]) -> None:
    lines = [line for line in (FIXTURES / "scenarios.txt").read_text().splitlines() if line[:1] not in "#"]
    scenarios = tmp_path / "scenarios.txt"
    scenarios.write_text("\n".join(lines[:2]) + "\n")
    out = tmp_path / "tasks.jsonl"
    command = [
        sys.executable, "-m", "button.cli.main", "synth", "--scenarios", str(scenarios), "--out", str(out),
        "--tasks-per-scenario", "1", "--synth-max-tokens", "160", "--concurrency", "1",
        "--tries", "1",  # one try a row: the run's time does not hang on how far the tiny model gets
    ]  # fmt: skip
    done = subprocess.run(command, env=model_env, capture_output=True, text=True, timeout=170)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "synthesis report" in done.stderr and "Traceback" not in done.stderr
    stages = json.loads((tmp_path / "tasks.jsonl.work" / "report.json").read_text())
    names = ["scenarios", "atomic", "atomic_verify", "compose", "compose_verify", "functions", "plan"]
    assert [row["stage"] for row in stages] == names
    by_name = {row["stage"]: row for row in stages}
    assert by_name["scenarios"]["in"] == 2
    for row in stages:  # every row kept or dropped for a named reason
        assert row["in"] == row["kept"] + row["dropped"] and row["reused"] == row["not_started"] == 0, row
        assert sum(row["why"].values()) == row["dropped"] and set(row["why"]) <= set(DropReason), row
    for before, after in itertools.pairwise(names[2:]):  # one stage's kept rows are the next one's
        assert by_name[after]["in"] == by_name[before]["kept"], (before, after)
    assert by_name["atomic"]["in"] == by_name["scenarios"]["kept"]
    assert by_name["atomic_verify"]["in"] >= 1  # the model's atomic tasks came back as valid JSON
    kept = by_name["plan"]["kept"]
    assert len(out.read_text().splitlines()) == kept
    if kept:
        check = subprocess.run(
            [sys.executable, "-m", "button.cli.main", "tasks", "validate", str(out)],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
    else:
        assert "no task survived" in done.stderr

    again = subprocess.run(command, env=model_env, capture_output=True, text=True, timeout=170)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "model requests this run: 0" in again.stderr
    resumed = json.loads((tmp_path / "tasks.jsonl.work" / "report.json").read_text())
    assert [row["reused"] for row in resumed] == [row["in"] for row in stages]
    assert [(row["kept"], row["why"]) for row in resumed] == [(row["kept"], row["why"]) for row in stages]


@pytest.mark.model
async def test_extraction_on_the_embedded_model_is_reproducible_by_seed(embedded_base_url: str) -> None:
    """Two fixture conversations, each extracted twice with its row's seed at temperature 1,
    one right after itself and one after the other (as a resumed row comes after other
    prompts): the same answer (or the same drop) both times. Each ask keeps what it shares
    with the last prompt in whole batches (``prompt_reuse``); re-evaluating only the prompt's
    last token gave other logits, hence another sample."""
    from button.errors import StructuredOutputError
    from button.llm.client import ModelClient
    from button.llm.endpoints import EndpointConfig, Role
    from simulator.synthesis.conversations import conversation_inputs, extract_scenario, read_conversations
    from simulator.synthesis.stage_context import Dropped, SynthContext
    from tests.conftest import TINY_MODEL

    config = EndpointConfig(
        role=Role.SYNTH,
        base_url=embedded_base_url,
        model=TINY_MODEL,
        temperature=1.0,
        max_tokens=100,
    )
    client = ModelClient(config, embedded_base_url)
    ctx = SynthContext(client, concurrency=1, seed=3)
    outcomes: dict[str, list[str]] = {}
    try:
        rows = conversation_inputs(read_conversations(FIXTURES / "conversations.jsonl"))[:2]
        for key, item in rows + rows[::-1]:
            try:
                outcome = (await extract_scenario(ctx, key, item))["text"]
            except (Dropped, StructuredOutputError) as dropped:
                outcome = f"dropped: {dropped}"
            outcomes.setdefault(key, []).append(outcome)
    finally:
        await client.client.close()
    assert all(first == second for first, second in outcomes.values()), outcomes
    assert outcomes["sc0"] != outcomes["sc1"], outcomes
