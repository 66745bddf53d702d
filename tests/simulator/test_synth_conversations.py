"""``button synth --conversations`` and the per-row sampling seed, against the
scripted OpenAI server (tests/harness/scripted_openai.py) answering by prompt,
with the same canned answers as test_synth_scripted for the later stages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from button.cli.main import main
from button.validation.taskfile import load_tasks
from simulator.synthesis.conversations import read_conversations, transcript
from tests.harness.scripted_openai import Reply, ScriptedOpenAI
from tests.simulator.test_synth_scripted import answer, report

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXTRACTED = {
    "Chicago": "A consultant in Chicago is arranging a trip to a workshop in Denver.",
    "Madrid": "A student in Madrid is comparing two apartments near her university.",
    "Leeds": "A bakery owner in Leeds is ordering flour from two suppliers.",
    "Biscuit": "A dog owner in Portland needs a vet open on Saturday for a rabies booster.",
}


def title(body: dict[str, Any]) -> str:
    fmt = body["response_format"]
    schema = fmt["json_schema"]["schema"] if fmt["type"] == "json_schema" else fmt["schema"]
    return str(schema["title"])


def transcript_of(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"]).split("Conversation:\n")[-1]


def responder(fail: Callable[[dict[str, Any]], Reply | None] = lambda body: None) -> Any:
    def respond(body: dict[str, Any]) -> Reply:
        failure = fail(body)
        if failure is not None:
            return failure
        fmt = body["response_format"]
        schema = fmt["json_schema"]["schema"] if fmt["type"] == "json_schema" else fmt["schema"]
        if title(body) == "synth_extract_scenario":
            text = transcript_of(body)
            return Reply(content=json.dumps({"scenario": next(v for k, v in EXTRACTED.items() if k in text)}))
        return Reply(
            content=json.dumps(answer(title(body), body["messages"][-1]["content"], schema, body.get("seed")))
        )

    return respond


def conversations_file(tmp_path: Path) -> Path:
    """The fixture, plus a conversation in which the user says nothing."""
    path = tmp_path / "conversations.jsonl"
    silent = {
        "messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": " "}]
    }
    path.write_text((FIXTURES / "conversations.jsonl").read_text() + json.dumps(silent) + "\n")
    return path


def synth(tmp_path: Path, url: str, out: str = "tasks.jsonl", *extra: str) -> int:
    return main(
        [
            "synth", "--conversations", str(conversations_file(tmp_path)), "--out", str(tmp_path / out),
            "--tasks-per-scenario", "3", "--concurrency", "1", "--synth-base-url", url,
            "--synth-model", "scripted", *extra,
        ]
    )  # fmt: skip


def test_reader_takes_both_formats_and_a_runs_trajectories(tmp_path: Path) -> None:
    found = read_conversations(FIXTURES / "conversations.jsonl")
    assert [c.source.rsplit(":", 1)[1] for c in found] == ["1", "2", "3", "4"]
    assert [role for role, _ in found[1].turns] == ["user", "assistant", "user", "assistant"]  # ShareGPT
    assert found[3].turns[0][0] == "system"
    leeds = transcript(found[2].turns)
    assert "User: I run a small bakery in Leeds." in leeds and 'Service result: {"price_gbp": 31.5' in leeds
    assert "You help small businesses" not in leeds  # system prompts are not the user's situation
    # a run's trajectories.jsonl (the sample run without its corrupt-on-purpose line 4)
    lines = (FIXTURES / "runs" / "sample" / "trajectories.jsonl").read_text().splitlines(keepends=True)
    run = tmp_path / "trajectories.jsonl"
    run.write_text("".join(lines[:3] + lines[4:]))
    trajectories = read_conversations(run)
    assert len(trajectories) == 5
    assert all(any(role == "user" for role, _ in c.turns) for c in trajectories)


def test_extraction_feeds_the_pipeline_and_resumes(tmp_path: Path) -> None:
    broken = {"on": True}

    def leeds_fails(body: dict[str, Any]) -> Reply | None:
        if broken["on"] and title(body) == "synth_extract_scenario" and "Leeds" in transcript_of(body):
            return Reply(status=400)
        return None

    with ScriptedOpenAI(responder(leeds_fails)) as server:
        assert synth(tmp_path, server.base_url) == 1  # the endpoint failed mid-stage
        log = tmp_path / "tasks.jsonl.work" / "extract.jsonl"
        finished = {json.loads(line)["key"]: json.loads(line)["reason"] for line in log.open()}
        assert finished == {"sc0": None, "sc1": None, "sc4": "no user message"}  # Leeds (sc2) failed
        server.requests.clear()
        broken["on"] = False
        assert synth(tmp_path, server.base_url) == 0
        asked = [transcript_of(b) for b in server.requests if title(b) == "synth_extract_scenario"]
    # the resumed run asks only for the rows the first run did not finish
    assert len(asked) == 2 and "Leeds" in asked[0] and "Biscuit" in asked[1]
    stages = report(tmp_path)
    assert list(stages)[:2] == ["extract", "scenarios"]
    assert stages["extract"] | {"why": None} == {
        "stage": "extract", "in": 5, "kept": 4, "dropped": 1, "reused": 3, "kept_after_retry": 0, "not_started": 0,
        "why": None,
    }  # fmt: skip
    assert stages["extract"]["why"] == {"no user message": 1}
    assert stages["scenarios"]["in"] == 4 and stages["scenarios"]["kept"] == 4
    # the extracted scenarios flow on as scenarios from a file would
    tasks = {task.id: task for task in load_tasks(tmp_path / "tasks.jsonl")}
    assert sorted(tasks) == ["synth.sc0.a0.seq", "synth.sc1.a0.pts"]
    assert tasks["synth.sc0.a0.seq"].scenario == EXTRACTED["Chicago"]
    records = [json.loads(line) for line in (tmp_path / "tasks.jsonl.work" / "extract.jsonl").open()]
    assert {r["key"]: r["data"].get("source", "").rsplit(":", 1)[-1] for r in records if r["data"]} == {
        "sc0": "1", "sc1": "2", "sc2": "3", "sc3": "4",
    }  # fmt: skip


def test_a_bad_line_is_refused_with_its_place(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.jsonl"
    good = (FIXTURES / "conversations.jsonl").read_text().splitlines()[0]
    narrator = {"conversations": [{"from": "narrator", "value": "Once upon a time."}]}
    bad.write_text(f"{good}\n{json.dumps(narrator)}\n{{not json\n")
    run = FIXTURES / "runs" / "sample" / "trajectories.jsonl"
    with ScriptedOpenAI(responder()) as server:
        for path in (bad, run):
            out = str(tmp_path / "out.jsonl")
            args = ["synth", "--conversations", str(path), "--out", out, "--synth-base-url", server.base_url]
            args += ["--synth-model", "scripted"]
            assert main(args) == 2
        assert server.requests == []  # refused before any model call
    err = capsys.readouterr().err
    assert f"error: {bad}:2: conversations[0].from: unknown speaker 'narrator'" in err
    assert "(and 1 more bad lines)" in err
    assert f"error: {run}:4: bad JSON" in err and "Traceback" not in err


def test_every_call_carries_a_seed_stable_per_row(tmp_path: Path) -> None:
    first_try = {"done": False}

    def one_bad_answer(body: dict[str, Any]) -> Reply | None:
        if (
            title(body) == "synth_extract_scenario"
            and "Madrid" in transcript_of(body)
            and not first_try["done"]
        ):
            first_try["done"] = True
            return Reply(content="not JSON")
        return None

    def seeds(requests: list[dict[str, Any]]) -> dict[tuple[str, str], list[int]]:
        found: dict[tuple[str, str], list[int]] = {}
        for body in requests:
            found.setdefault((title(body), body["messages"][-1]["content"]), []).append(body["seed"])
        return found

    with ScriptedOpenAI(responder(one_bad_answer)) as server:
        assert synth(tmp_path, server.base_url, "a.jsonl") == 0
        first = list(server.requests)
        server.requests.clear()
        assert synth(tmp_path, server.base_url, "b.jsonl") == 0  # a fresh work dir, same seed
        second = list(server.requests)
        server.requests.clear()
        assert synth(tmp_path, server.base_url, "c.jsonl", "--seed", "1") == 0
        third = list(server.requests)
    assert all(isinstance(body.get("seed"), int) for body in first + second + third)
    a, b = seeds(first), seeds(second)
    madrid = next(key for key in a if key[0] == "synth_extract_scenario" and "Madrid" in key[1])
    assert a[madrid] == [a[madrid][0], a[madrid][0] + 1]  # the retry after a bad answer moves the seed on
    a[madrid] = a[madrid][:1]
    assert a == b  # every prompt of every row is sent the same seed again
    extract_seeds = [s for (t, _), found in a.items() if t == "synth_extract_scenario" for s in found]
    assert len(set(extract_seeds)) == len(extract_seeds) == 4  # rows differ
    c = seeds(third)
    same_prompts = set(c) & set(b)  # --seed also turns the strategy order: later prompts differ
    assert len(same_prompts) >= 10 and all(c[key] != b[key] for key in same_prompts)  # new seeds
    assert all(0 <= seed < 2**31 for seed in extract_seeds)


def test_a_scenario_naming_what_the_conversation_never_said_is_dropped(tmp_path: Path) -> None:
    copied = "A researcher from Boston needs a hotel near the Lisbon Congress Centre for two nights."
    with ScriptedOpenAI(lambda body: Reply(content=json.dumps({"scenario": copied}))) as server:
        out = str(tmp_path / "out.jsonl")
        args = ["synth", "--conversations", str(FIXTURES / "conversations.jsonl"), "--out", out]
        assert main([*args, "--synth-base-url", server.base_url, "--synth-model", "scripted"]) == 0
    stages = report(tmp_path, "out.jsonl")
    # the hotel conversation shares words with it, but names neither Boston nor Lisbon
    assert stages["extract"]["why"] == {
        "rule: a name not in the conversation": 1,
        "rule: off the conversation": 3,
    }
