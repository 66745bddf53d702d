"""``button export``: records match ones written by hand, round-trip, are checked; filters choose."""

from __future__ import annotations

import copy
import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import Score, Trajectory
from button.storage.records import read_records
from harness.export import button_format, openai_format, sharegpt_format
from harness.export.clean_conversation import calls_and_results, conversation_of
from harness.export.export_run import FORMATS
from harness.export.format_protocol import ExportFormat
from tests.conftest import FIXTURES

SCORING = FIXTURES / "scoring"
GOLDEN = Path(__file__).parent / "golden"
TRAJECTORIES = read_records(SCORING / "trajectories.jsonl", Trajectory)
# the invented-tool trajectory calls a tool that was not offered: never exported
EXPORTABLE = [t for t in TRAJECTORIES if not t.id.endswith("#invented_tool")]


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(SCORING, target)
    return target


def export_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["export", *args, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_every_format_is_an_export_format(form: str) -> None:
    """Each registered module has the protocol's names, with its parameters (mypy checks their types)."""
    module = FORMATS[form]
    assert isinstance(module, ExportFormat) and isinstance(module.TRACE_FIELDS, bool)
    for name in ("encode", "decode", "tools", "check"):
        wanted = list(inspect.signature(getattr(ExportFormat, name)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(module, name)).parameters) == wanted, (form, name)


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_records_are_the_ones_written_by_hand_from_the_format_rules(
    form: str, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Byte for byte what ``tests/harness/golden/`` holds (see its README): an encoder
    bug that its own decoder would undo still fails here."""
    out = tmp_path / f"{form}.jsonl"
    export_json([str(run), "--format", form, "--out", str(out)], capsys)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    ids = (
        [record["trajectory_id"] for record in records]
        if FORMATS[form].TRACE_FIELDS
        else out.with_name(out.name + ".ids").read_text().splitlines()
    )
    expected = json.loads((GOLDEN / f"{form}.json").read_text(encoding="utf-8"))
    assert {i: r for i, r in zip(ids, records, strict=True) if i in expected} == expected


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_round_trip(form: str, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{form}.jsonl"
    report = export_json([str(run), "--format", form, "--out", str(out)], capsys)
    assert report["written"] == len(EXPORTABLE)
    assert report["skipped"] == {"call of a tool not offered": 1}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    for trajectory, record in zip(EXPORTABLE, records, strict=True):
        assert FORMATS[form].check(record) == []
        turns = conversation_of(trajectory.messages)
        assert calls_and_results(FORMATS[form].decode(record)) == calls_and_results(turns)
        replies = [t.text for t in turns if t.role == "assistant" and not t.calls]
        if form == "button":  # the record ends at the final answer
            final = button_format.final_turn(turns)
            assert final is not None
            replies = [t.text for t in turns[: final + 1] if t.role == "assistant" and not t.calls]
        decoded = [t.text for t in FORMATS[form].decode(record) if t.role == "assistant" and not t.calls]
        assert decoded == replies


def test_parallel_calls_stay_together(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.jsonl"
    export_json([str(run), "--format", "button", "--out", str(out)], capsys)
    perfect = json.loads(out.read_text().splitlines()[0])
    assistant = [m["content"] for m in perfect["messages"] if m["role"] == "assistant"]
    assert assistant[0].startswith("<call>[") and assistant[0].count('"get_share_price"') == 2
    assert (
        assistant[-1]
        == "<final>You can buy 21 shares of AAPL and 12 shares of MSFT, with $135.10 left over.</final>"
    )
    tool = json.loads(next(m["content"] for m in perfect["messages"] if m["role"] == "tool"))
    assert [item["results"]["ticker"] for item in tool] == ["MSFT", "AAPL"]
    assert "<tool>[" in perfect["messages"][0]["content"]


def test_filters(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each filter keeps exactly the exportable trajectories its scores choose, in run order."""
    out = tmp_path / "o.jsonl"
    args = [str(run), "--format", "openai", "--out", str(out)]
    assert main(["export", *args, "--successful"]) == 2
    assert "no scores" in capsys.readouterr().err
    assert main(["score", str(run)]) == 0
    capsys.readouterr()
    scores = {s.trajectory_id: s for s in read_records(run / "scores.jsonl", Score)}
    exportable = [t.id for t in EXPORTABLE]

    def exported(*flags: str) -> tuple[list[str], dict[str, Any]]:
        report = export_json([*args, *flags], capsys)
        return (out.with_name(out.name + ".ids").read_text().splitlines(), report)

    successful, report = exported("--successful")
    assert successful == [i for i in exportable if scores[i].success is True]
    assert report["skipped"]["call of a tool not offered"] == 1
    assert report["skipped"].get("not successful", 0) == sum(
        scores[i].success is not True for i in exportable
    )
    recall, report = exported("--min-score", "recall=1")
    assert recall == [i for i in exportable if (scores[i].metrics.get("recall") or 0) >= 1]
    assert report["skipped"].get("no such score", 0) == sum(
        scores[i].metrics.get("recall") is None for i in exportable
    )
    status, report = exported("--status", "max_turns")
    assert status == [] and report["skipped"] == {"status not chosen": len(TRAJECTORIES)}
    assert main(["export", *args, "--min-score", "f1=high"]) == 2


def test_broken_trajectory_is_skipped_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = copy.deepcopy(TRAJECTORIES[0])
    tool_at = next(i for i, m in enumerate(broken.messages) if m["role"] == "tool")
    del broken.messages[tool_at], broken.meta[tool_at]
    path = tmp_path / "trajectories.jsonl"
    path.write_text(broken.model_dump_json() + "\n" + TRAJECTORIES[1].model_dump_json() + "\n")
    report = export_json([str(path), "--format", "sharegpt", "--out", str(tmp_path / "s.jsonl")], capsys)
    assert report["written"] == 1
    assert report["examples"] == {
        "tool call not answered": "finance.two_share_prices_then_split#perfect: tool call not answered: call_1"
    }


def perfect_record(form: Any) -> dict[str, Any]:
    return dict(form.encode(conversation_of(TRAJECTORIES[0].messages), TRAJECTORIES[0].tools))


def test_openai_checker() -> None:
    record = perfect_record(openai_format)
    assert openai_format.check(record) == []
    unanswered = copy.deepcopy(record)
    unanswered["messages"] = [m for m in unanswered["messages"] if m.get("tool_call_id") != "call_3"]
    assert openai_format.check(unanswered) == ["tool call not answered: call_3"]
    repeated = copy.deepcopy(record)
    calls = next(m for m in repeated["messages"] if m.get("tool_calls"))["tool_calls"]
    calls[1]["id"] = calls[0]["id"]
    assert openai_format.check(repeated)[0].startswith("tool call id missing or repeated")
    late_system = copy.deepcopy(record)
    late_system["messages"].insert(2, {"role": "system", "content": "x"})
    assert "turn order: a system message after the first message" in openai_format.check(late_system)


def test_sharegpt_checker() -> None:
    record = perfect_record(sharegpt_format)
    assert sharegpt_format.check(record) == []
    swapped = copy.deepcopy(record)
    turns = swapped["conversations"]
    turns[1], turns[2] = turns[2], turns[1]
    assert sharegpt_format.check(swapped)[0].startswith("turn order: 'observation' at position 1")
    short = copy.deepcopy(record)
    short["conversations"][2]["value"] = json.dumps([{"price": 1}])
    assert sharegpt_format.check(short) == ["bad observation: position 2 needs a list of 2 results"]
    no_answer = copy.deepcopy(record)
    no_answer["conversations"] = no_answer["conversations"][:-1]
    assert sharegpt_format.check(no_answer) == ["turn order: the record must end with a gpt turn"]


def test_button_checker() -> None:
    record = perfect_record(button_format)
    assert button_format.check(record) == []
    wrong_tool = copy.deepcopy(record)
    tool = next(m for m in wrong_tool["messages"] if m["role"] == "tool")
    tool["content"] = json.dumps(json.loads(tool["content"])[:1])
    assert button_format.check(wrong_tool)[0].startswith("bad tool turn")
    no_final = copy.deepcopy(record)
    no_final["messages"][-1]["content"] = "21 and 12"
    assert "turn order: the record must end with a <final> answer" in button_format.check(no_final)
    early_final = copy.deepcopy(record)
    first_call = next(i for i, m in enumerate(early_final["messages"]) if m["role"] == "assistant")
    early_final["messages"][first_call + 2 : first_call + 2] = [
        {"role": "assistant", "content": "<final>not yet</final>"},
        {"role": "user", "content": "go on"},
    ]
    assert any("a <final> answer before the end" in p for p in button_format.check(early_final))
    question = copy.deepcopy(record)
    question["messages"][first_call + 2 : first_call + 2] = [
        {"role": "assistant", "content": "Shall I go on?"},
        {"role": "user", "content": "yes"},
    ]
    assert button_format.check(question) == []
    unanswered = copy.deepcopy(question)
    del unanswered["messages"][first_call + 3]
    assert any("nor a question the user answers" in p for p in button_format.check(unanswered))
    no_tools = copy.deepcopy(record)
    no_tools["messages"][0]["content"] = "no tools here"
    assert button_format.check(no_tools) == [
        "bad system prompt: no JSON list of tools inside <tool>...</tool>"
    ]


def test_unfinished_conversation_is_skipped_as_unfinished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shape of a real embedded run cut by --max-turns: an empty assistant turn early
    (llama.cpp under tool_choice auto), then calls, and the turn limit before any answer.
    The reason given is the missing final answer, not the empty turn on the way."""
    cut = copy.deepcopy(TRAJECTORIES[1])
    last_tool = max(i for i, m in enumerate(cut.messages) if m["role"] == "tool")
    cut.messages, cut.meta = cut.messages[: last_tool + 1], cut.meta[: last_tool + 1]
    first_user = next(i for i, m in enumerate(cut.messages) if m["role"] == "user")
    cut.messages[first_user + 1 : first_user + 1] = [
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "Please go ahead."},
    ]
    path = tmp_path / "trajectories.jsonl"
    path.write_text(cut.model_dump_json() + "\n")
    for form in sorted(FORMATS):
        report = export_json([str(path), "--format", form, "--out", str(tmp_path / "o.jsonl")], capsys)
        assert report["written"] == 0
        assert report["skipped"] == {"no final answer": 1}, form


@pytest.mark.parametrize("own", ["trajectories.jsonl", "scores.jsonl", "../run/./trajectories.jsonl"])
def test_export_refuses_to_overwrite_the_run(own: str, run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run)]) == 0
    before = {name: (run / name).read_bytes() for name in ("trajectories.jsonl", "scores.jsonl")}
    capsys.readouterr()
    assert (
        main(["export", str(run / "trajectories.jsonl"), "--format", "openai", "--out", str(run / own)]) == 2
    )
    err = capsys.readouterr().err
    assert "error: --out: " in err and "is a file of the run being exported" in err
    assert {name: (run / name).read_bytes() for name in before} == before


def test_an_unwritable_output_is_named(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = "/proc/no-such-dir/x.jsonl"
    assert main(["export", str(run), "--format", "openai", "--out", out]) == 2
    err = capsys.readouterr().err
    assert f"error: {out}: cannot write: " in err and "Traceback" not in err
