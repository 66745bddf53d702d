"""The cost ledger and budget caps of ``button run`` and ``button score``, against scripted endpoints.

Every role is its own scripted OpenAI-compatible HTTP server (so what each
role's endpoint reported is known exactly), the tasks are served in-process
(the tool simulator's usage comes back in each MCP result's ``_meta``), and
the commands run through ``button.cli.main.main`` as a user runs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.cost.ledger import Ledger, read_ledger
from button.data_model.trajectory import Score, Trajectory, TrajectoryStatus
from button.storage.records import read_records
from button.validation.taskfile import load_tasks
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)

TASK = "travel.flight_then_hotel"
INSTRUCTION = next(task.instruction for task in load_tasks(TASKS_FILE) if task.id == TASK)
FLIGHT = {
    "flight_number": "UA 1432",
    "arrival": {"airport": "DEN", "city": "Denver", "date": "2026-12-08", "time": "10:05"},
    "price_usd": 129,
}


def user(body: dict[str, Any]) -> Reply:
    assert is_user_request(body)
    return user_turn(INSTRUCTION, stop=False) if opening(body) else user_turn("Thanks.", stop=True)


def assistant(body: dict[str, Any]) -> Reply:
    if not any(m["role"] == "tool" for m in body["messages"]):
        return call(
            ("search_flights", {"origin": "ORD", "destination": "DEN", "departure_date": "2026-12-08"})
        )
    return say("The cheapest nonstop is UA 1432 at $129, landing in Denver at 10:05.")


def tool(body: dict[str, Any]) -> Reply:
    return Reply(content=json.dumps(FLIGHT))


def judge(body: dict[str, Any]) -> Reply:
    return Reply(content=json.dumps({"reason": "faithful to the results", "success": True}))


class Endpoints:
    """One scripted server per role, each with its own model name."""

    def __init__(self, stack: ExitStack) -> None:
        responders = {"assistant": assistant, "user": user, "tool": tool, "judge": judge}
        self.servers = {
            role: stack.enter_context(ScriptedOpenAI(responder, model=f"{role}-model"))
            for role, responder in responders.items()
        }

    def flags(self, *roles: str) -> list[str]:
        found: list[str] = []
        for role in roles:
            server = self.servers[role]
            found += [f"--{role}-base-url", server.base_url, f"--{role}-model", server.model]
        return found

    def reported(self, role: str) -> dict[str, int]:
        """The sums of the usage ``role``'s server reported, as the ledger names them."""
        usage = self.servers[role].usage
        return {
            "requests": len(usage),
            "prompt_tokens": sum(u["prompt_tokens"] for u in usage),
            "cached_tokens": sum(u["prompt_tokens_details"]["cached_tokens"] for u in usage),
            "completion_tokens": sum(u["completion_tokens"] for u in usage),
        }

    def requests(self) -> int:
        return sum(len(server.requests) for server in self.servers.values())


@pytest.fixture
def endpoints() -> Iterator[Endpoints]:
    with ExitStack() as stack:
        yield Endpoints(stack)


def run(endpoints: Endpoints, out: Path, *extra: str) -> int:
    args = ["run", str(TASKS_FILE), "--out", str(out), "--task", TASK, "--no-cache", *extra]
    return main([*args, *endpoints.flags("assistant", "user", "tool")])


def lines(ledger: Ledger) -> dict[str, dict[str, int]]:
    return {
        line.role: {
            "requests": line.requests,
            "prompt_tokens": line.prompt_tokens,
            "cached_tokens": line.cached_tokens,
            "completion_tokens": line.completion_tokens,
        }
        for line in ledger.lines
    }


def test_the_ledger_is_the_usage_the_endpoints_reported_judge_included(
    endpoints: Endpoints, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert run(endpoints, out, "--trials", "3", "--concurrency", "2") == 0
    shown = capsys.readouterr().out
    assert f"cost of 3 conversations ({out / 'cost.json'})" in shown
    ledger = read_ledger(out / "cost.json")
    assert ledger.conversations == 3 and ledger.judgements == 0
    roles = ["user", "tool", "assistant"]
    assert lines(ledger) == {role: endpoints.reported(role) for role in roles}
    assert endpoints.reported("tool")["requests"] == 3  # one simulated result per conversation, via _meta
    assert all(line.usd is None and "unknown" in line.price for line in ledger.lines)  # never made up

    assert main(["score", str(out), *endpoints.flags("judge")]) == 0
    shown = capsys.readouterr().out
    assert "cost of 3 conversations, 3 judgements" in shown
    ledger = read_ledger(out / "cost.json")
    assert ledger.judgements == 3
    assert lines(ledger) == {role: endpoints.reported(role) for role in [*roles, "judge"]}
    assert ledger.tokens == sum(
        endpoints.reported(role)[kind]
        for role in [*roles, "judge"]
        for kind in ("prompt_tokens", "completion_tokens")
    )

    # a resumed run with nothing left to do, and a rescoring that reuses every verdict, count nothing twice
    requests = endpoints.requests()
    assert run(endpoints, out, "--trials", "3", "--concurrency", "2") == 0
    assert main(["score", str(out), *endpoints.flags("judge")]) == 0
    assert endpoints.requests() == requests
    assert read_ledger(out / "cost.json") == ledger


def test_a_token_cap_stops_new_conversations_and_a_higher_one_finishes_the_rest(
    endpoints: Endpoints, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "capped"
    # three conversations start at once, before any token is spent; they finish whole, no fourth starts
    assert run(endpoints, out, "--trials", "6", "--concurrency", "3", "--budget-tokens", "1") == 3
    said = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("conversations")]
    ledger = read_ledger(out / "cost.json")
    assert said == [
        f"stopped: {out}: --budget-tokens 1 reached ({ledger.tokens:,} tokens spent); "
        "3 conversations not started; rerun with a higher cap to continue"
    ]
    made = read_records(out / "trajectories.jsonl", Trajectory)
    assert len(made) == 3 and {t.status for t in made} == {TrajectoryStatus.COMPLETED}
    assert all([m["role"] for m in t.messages][-2:] == ["assistant", "user"] for t in made)  # whole
    assert ledger.conversations == 3 and lines(ledger)["assistant"] == endpoints.reported("assistant")

    # the same cap: nothing starts, nothing is asked
    requests = endpoints.requests()
    assert run(endpoints, out, "--trials", "6", "--concurrency", "3", "--budget-tokens", "1") == 3
    assert endpoints.requests() == requests and "6 conversations" not in capsys.readouterr().err

    # a higher cap (not a changed setting) goes on where the run stopped
    higher = str(ledger.tokens * 10)
    assert run(endpoints, out, "--trials", "6", "--concurrency", "3", "--budget-tokens", higher) == 0
    made = read_records(out / "trajectories.jsonl", Trajectory)
    assert sorted(t.trial for t in made) == list(range(6))
    ledger = read_ledger(out / "cost.json")
    assert ledger.conversations == 6
    assert lines(ledger) == {role: endpoints.reported(role) for role in ["user", "tool", "assistant"]}


@pytest.fixture
def recorded(endpoints: Endpoints, tmp_path: Path) -> Path:
    """A run of three conversations, scored without a judge."""
    out = tmp_path / "recorded"
    assert run(endpoints, out, "--trials", "3", "--concurrency", "3") == 0
    return out


def test_prices_from_a_file_price_their_models(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(
        '[assistant-model]\ninput = 3.0\noutput = 15.0\ncached_input = 0.3\n\n["user-model"]\ninput = 1\noutput = 2\n'
    )
    capsys.readouterr()
    assert main(["score", str(recorded), "--json", "--prices", str(prices)]) == 0
    cost = json.loads(capsys.readouterr().out)["cost"]
    assert cost == json.loads((recorded / "cost.json").read_text())
    line = {entry["role"]: entry for entry in cost["lines"]}
    a = line["assistant"]
    expected = (
        (a["prompt_tokens"] - a["cached_tokens"]) * 3.0
        + a["cached_tokens"] * 0.3
        + a["completion_tokens"] * 15.0
    ) / 1e6
    assert a["usd"] == pytest.approx(expected) and a["price"] == f"--prices {prices}"
    u = line["user"]
    assert u["usd"] == pytest.approx(
        (u["prompt_tokens"] + 2 * u["completion_tokens"]) / 1e6
    )  # cached at input
    assert (
        line["tool"]["usd"] is None
        and line["tool"]["price"] == "unknown: no known price; give one with --prices FILE"
    )
    assert cost["usd"] == pytest.approx(a["usd"] + u["usd"]) and cost["unpriced_tokens"] == (
        line["tool"]["prompt_tokens"] + line["tool"]["completion_tokens"]
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "p.json",
            '{"assistant-model": {"input": 1, "output": -2}}',
            "p.json: assistant-model: output: Input should be greater than or equal to 0",
        ),
        ("p.json", '{"assistant-model": {"input": 1}}', "p.json: assistant-model: output: Field required"),
        (
            "p.yaml",
            "assistant-model: {input: 1, output: 2, inptu: 3}",
            "p.yaml: assistant-model: inptu: Extra inputs are not permitted",
        ),
        (
            "p.toml",
            "[assistant-model]\ninput = 'cheap'\noutput = 1\n",
            "p.toml: assistant-model: input: Input should be a valid number",
        ),
        ("p.json", '{"assistant-model": ', "p.json: line 1: not JSON: Expecting value"),
        ("p.csv", "model,input,output\n", "p.csv: a prices file is .json, .toml, .yaml, .yml, not .csv"),
    ],
)
def test_a_bad_prices_file_is_one_line_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    prices = tmp_path / name
    prices.write_text(text)
    assert main(["run", str(TASKS_FILE), "--out", str(tmp_path / "out"), "--prices", str(prices)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path}/{message}", err
    assert not (tmp_path / "out").exists()


def test_a_usd_cap_without_a_price_is_refused(
    endpoints: Endpoints, recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["score", str(recorded), *endpoints.flags("judge"), "--budget-usd", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("error: --budget-usd: no price for the judge model 'judge-model'")
        and "--prices FILE" in err
    )
    assert not endpoints.servers["judge"].requests


def test_a_judge_cap_keeps_the_verdicts_made_and_a_rerun_reuses_them(
    endpoints: Endpoints, recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    judged = endpoints.flags("judge")
    spent = read_ledger(recorded / "cost.json").tokens
    capsys.readouterr()
    # the conversations spent `spent`; one more token lets exactly one judgement start
    assert (
        main(["score", str(recorded), *judged, "--concurrency", "1", "--budget-tokens", str(spent + 1)]) == 3
    )
    assert capsys.readouterr().err.strip().endswith("no new judgement started")
    assert len(endpoints.servers["judge"].requests) == 1
    assert not (recorded / "scores.jsonl").exists()  # no partly judged scores
    assert len((recorded / "scores.jsonl.partial").read_text().splitlines()) == 1
    assert read_ledger(recorded / "cost.json").judgements == 1

    assert main(["score", str(recorded), *judged, "--budget-tokens", str(spent * 10)]) == 0
    assert len(endpoints.servers["judge"].requests) == 3  # the kept verdict was reused
    scores = read_records(recorded / "scores.jsonl", Score)
    assert all(score.judge is not None for score in scores)
    ledger = read_ledger(recorded / "cost.json")
    assert ledger.judgements == 3 and lines(ledger)["judge"] == endpoints.reported("judge")
