"""``button synth`` under a budget cap, against the scripted synthesis model (10 + 10 tokens a request)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from button.cli.main import main
from button.cost.ledger import read_ledger
from tests.simulator.test_synth_scripted import ScriptedModel, synth_args

TOKENS_PER_REQUEST = 20


def test_a_token_cap_stops_new_rows_and_a_higher_cap_finishes_the_same_tasks(
    tmp_path: Path, scripted: ScriptedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(synth_args(tmp_path, scripted.url, out="full.jsonl")) == 0
    full = len(scripted.requests)
    whole = read_ledger(tmp_path / "full.jsonl.work" / "cost.json")
    assert whole.tokens == full * TOKENS_PER_REQUEST and whole.lines[0].requests == full
    assert whole.lines[0].role == "synth" and whole.synth_rows > 0
    scripted.requests.clear()
    capsys.readouterr()

    capped = [*synth_args(tmp_path, scripted.url), "--concurrency", "1", "--budget-tokens", "200"]
    assert main(capped) == 3
    made = len(scripted.requests)
    assert 200 // TOKENS_PER_REQUEST <= made < full
    err = capsys.readouterr().err
    stopped = [line for line in err.splitlines() if line.startswith("stopped:")]
    assert len(stopped) == 1 and "--budget-tokens 200 reached" in stopped[0] and "not started" in stopped[0]
    assert not (tmp_path / "tasks.jsonl").exists()  # no task file from part of the work
    work = tmp_path / "tasks.jsonl.work"
    assert read_ledger(work / "cost.json").tokens == made * TOKENS_PER_REQUEST  # every row started was kept
    report = json.loads((work / "report.json").read_text())
    assert report[-1]["not_started"] > 0

    # the same cap starts nothing; a higher one finishes the rest and yields the uncapped tasks
    assert main(capped) == 3 and len(scripted.requests) == made
    assert main([*capped[:-1], "100000"]) == 0
    assert len(scripted.requests) == full  # no row was asked twice
    assert (tmp_path / "tasks.jsonl").read_text() == (tmp_path / "full.jsonl").read_text()
    ledger = read_ledger(work / "cost.json")
    assert ledger.tokens == whole.tokens and ledger.synth_rows == whole.synth_rows
