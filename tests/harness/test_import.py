"""``button import``: existing conversations in as a run directory that score, export and replay take."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from button.cli.main import main
from button.data_model.trajectory import Score, Trajectory
from button.storage.records import read_records
from harness.export.button_format import final_turn
from harness.export.clean_conversation import Turn, calls_and_results, conversation_of
from harness.export.export_run import FORMATS
from tests.conftest import FIXTURES
from tui.open_run import open_run

SCORING = FIXTURES / "scoring"
SAMPLE = FIXTURES / "button_instruct_sample.jsonl"  # BUTTONInstruct's shape, as its README documents it


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / "runs" / "original"
    shutil.copytree(SCORING, target)
    return target


def final_answer(turns: list[Turn]) -> str | None:
    position = final_turn(turns)
    return None if position is None else turns[position].text


def scored(run: Path) -> dict[str, Score]:
    assert main(["score", str(run), "--show", "none"]) == 0
    return {score.trajectory_id: score for score in read_records(run / "scores.jsonl", Score)}


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_export_then_import_keeps_calls_results_and_answers(run: Path, tmp_path: Path, form: str) -> None:
    exported = tmp_path / f"data.{form}.jsonl"
    assert main(["export", str(run), "--format", form, "--out", str(exported)]) == 0
    again = tmp_path / "runs" / "imported"
    assert (
        main(
            [
                "import",
                str(exported),
                "--format",
                form,
                "--out",
                str(again),
                "--tasks",
                str(run / "tasks.jsonl"),
            ]
        )
        == 0
    )

    original = {t.id: t for t in read_records(run / "trajectories.jsonl", Trajectory)}
    imported = read_records(again / "trajectories.jsonl", Trajectory)
    assert len(imported) == 7  # every exported record (the eighth calls a tool it was not offered)
    for trajectory in imported:
        before = conversation_of(original[trajectory.id].messages)
        after = conversation_of(trajectory.messages)
        assert trajectory.task_id == original[trajectory.id].task_id
        assert calls_and_results(after) == calls_and_results(before)
        assert final_answer(after) == final_answer(before)
        assert trajectory.tools == original[trajectory.id].tools
    # scoring against the plans gives the same verdicts and plan metrics
    before_scores, after_scores = scored(run), scored(again)
    for trajectory_id, score in after_scores.items():
        old = before_scores[trajectory_id]
        assert (score.success, score.reasons) == (old.success, old.reasons), trajectory_id
        for metric in ("precision", "recall", "order", "data_flow", "parallelism", "validity", "grounding"):
            assert score.metrics.get(metric) == old.metrics.get(metric), (trajectory_id, metric)
    # and exporting the imported run gives the same file again
    twice = tmp_path / f"again.{form}.jsonl"
    assert main(["export", str(again), "--format", form, "--out", str(twice)]) == 0
    assert twice.read_text() == exported.read_text()


def test_button_instruct_records_import_score_replay_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs" / "bi"
    assert main(["import", str(SAMPLE), "--format", "button", "--out", str(out)]) == 0
    assert "imported 2 conversations (4 tool calls, 2 tasks)" in capsys.readouterr().out
    first, second = read_records(out / "trajectories.jsonl", Trajectory)
    assert first.id == "button_instruct_sample.1#0" and first.task_id == "button_instruct_sample.1"
    assert [t["function"]["name"] for t in first.tools] == ["search_restaurants", "book_table"]
    assert [t["function"]["name"] for t in second.tools] == [
        "get_exchange_rate",
        "get_stock_price",
    ]  # one a line
    assert [m["role"] for m in first.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    turns = conversation_of(first.messages)
    assert calls_and_results(turns) == [
        ("search_restaurants", {"city": "Turin", "cuisine": "Italian"},
         {"restaurants": [{"id": "r-17", "name": "Da Carla", "rating": 4.6}]}),
        ("book_table", {"restaurant_id": "r-17", "time": "19:30", "people": 2},
         {"confirmation": "BK-2291", "time": "19:30"}),
    ]  # fmt: skip
    assert turns[1].text.startswith("The user wants an Italian restaurant")  # the thought before <call>
    assert final_answer(turns) == (
        "I booked a table for two at 19:30 at Da Carla in Turin; your confirmation number is BK-2291."
    )
    parallel = conversation_of(second.messages)
    assert [len(turn.calls) for turn in parallel if turn.calls] == [2]
    assert final_answer(parallel) == (
        "Siemens (SIE) trades at 180.00 EUR, which is 198.00 USD at today's rate of 1.10."
    )  # the thought before <final> is not part of the answer

    # score without a plan: the metrics that need none, and a note saying so
    assert main(["score", str(out), "--json", "--show", "none"]) == 0
    captured = capsys.readouterr()
    assert "has no task file" in captured.err
    assert json.loads(captured.out)["tasks_file"] is None
    scores = read_records(out / "scores.jsonl", Score)
    assert [(s.metrics["validity"], s.metrics["tool_calls"], s.success) for s in scores] == [
        (1.0, 2.0, None),
        (1.0, 2.0, None),
    ]
    assert "f1" not in scores[0].metrics

    replay = open_run(out)
    try:
        assert len(replay.index) == 2 and not replay.notices and replay.tasks == {}
    finally:
        replay.close()
    exported = tmp_path / "bi.openai.jsonl"
    assert main(["export", str(out), "--format", "openai", "--out", str(exported)]) == 0
    assert len(exported.read_text().splitlines()) == 2


def test_a_call_of_a_tool_not_offered_is_kept_and_scored_as_invented(tmp_path: Path) -> None:
    record = json.loads(SAMPLE.read_text().splitlines()[0])
    record["messages"][4]["content"] = record["messages"][4]["content"].replace("book_table", "reserve")
    record["messages"][5]["content"] = record["messages"][5]["content"].replace("book_table", "reserve")
    source = tmp_path / "invented.jsonl"
    source.write_text(json.dumps(record) + "\n")
    assert main(["import", str(source), "--format", "button", "--out", str(tmp_path / "r")]) == 0
    assert main(["score", str(tmp_path / "r"), "--show", "none"]) == 0
    (score,) = read_records(tmp_path / "r" / "scores.jsonl", Score)
    assert score.metrics["invented_tools"] == 1.0 and score.metrics["validity"] == 0.5


def bad_copy(tmp_path: Path, line: str) -> Path:
    source = tmp_path / "bad.jsonl"
    source.write_text(SAMPLE.read_text().splitlines()[0] + "\n" + line + "\n")
    return source


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "bad JSON: Expecting property name enclosed in double quotes (column 2)"),
        ('{"messages": []}', "bad record: messages must be a non-empty list"),
        (
            '{"messages": [{"role": "system", "content": "<tool>[]</tool>"}, {"role": "user", "content": "Hi"}, '
            '{"role": "assistant", "content": "<call>[{\\"name\\": 1}]</call>"}]}',
            "bad call: message 2 needs a list of name/arguments objects",
        ),
        (
            '{"messages": [{"role": "system", "content": "no tools here"}]}',
            "bad system prompt: no JSON list of tools inside <tool>...</tool>",
        ),
    ],
)
def test_a_bad_record_stops_the_import_with_its_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    source = bad_copy(tmp_path, line)
    out = tmp_path / "runs" / "bad"
    assert main(["import", str(source), "--format", "button", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"error: {source}:2: {message}" and "Traceback" not in err
    assert not out.exists() and list((tmp_path / "runs").iterdir()) == []


def test_a_last_line_without_a_newline_is_a_record_and_binary_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "no_newline.jsonl"
    source.write_text(SAMPLE.read_text().rstrip("\n"))  # as many editors and tools leave a file
    assert main(["import", str(source), "--format", "button", "--out", str(tmp_path / "r")]) == 0
    assert len(read_records(tmp_path / "r" / "trajectories.jsonl", Trajectory)) == 2
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe{}\n")
    assert main(["import", str(binary), "--format", "openai", "--out", str(tmp_path / "b")]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"error: {binary}: not UTF-8 text") and not (tmp_path / "b").exists()


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    assert main(["import", str(SAMPLE), "--format", "button", "--out", str(taken)]) == 2
    assert capsys.readouterr().err == f"error: --out: {taken} already exists; give a new run directory\n"
    assert (taken / "keep.txt").read_text() == "mine"

    out = tmp_path / "r"
    assert (
        main(
            [
                "import",
                str(SAMPLE),
                "--format",
                "button",
                "--out",
                str(out),
                "--tasks",
                str(SCORING / "tasks.jsonl"),
            ]
        )
        == 2
    )
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"error: {SAMPLE}:1: task 'button_instruct_sample.1' is not in {SCORING / 'tasks.jsonl'}"
    assert not out.exists()

    assert main(["import", str(tmp_path / "missing.jsonl"), "--format", "openai", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'missing.jsonl'}: no such file\n"
