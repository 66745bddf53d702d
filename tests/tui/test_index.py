from __future__ import annotations

import json
from pathlib import Path

import pytest

from button.data_model.trajectory import MessageSource, Trajectory, TrajectoryStatus
from button.errors import RunFileError
from harness.run.run_dir import TRAJECTORIES
from tui.index import CORRUPT, CorruptLine, TrajectoryIndex

from .conftest import SAMPLE


def test_sample_rows_keep_their_line_numbers_and_the_corrupt_line_is_an_error_row() -> None:
    index = TrajectoryIndex(SAMPLE / TRAJECTORIES)
    assert len(index) == 6
    summaries = [index.summary(row) for row in range(len(index))]
    assert [s.line for s in summaries] == [1, 2, 3, 4, 5, 6]
    assert [s.status for s in summaries] == [
        "completed",
        "completed",
        "max_turns",
        CORRUPT,
        "error",
        "completed",
    ]
    corrupt = summaries[3]
    assert corrupt.problem is not None and corrupt.problem.startswith("bad JSON: EOF while parsing")
    weather = summaries[0]
    assert (weather.task_id, weather.model, weather.turns, weather.tool_calls) == (
        "weather.conditions_then_run_plan",
        "Qwen2.5-7B-Instruct",
        3,
        4,
    )
    assert isinstance(index.load(5), Trajectory)
    index.close()


def test_blank_lines_schema_errors_and_a_cut_off_last_line(tmp_path: Path) -> None:
    good = (SAMPLE / TRAJECTORIES).read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / TRAJECTORIES
    path.write_text(f'\n{good}\n   \n[1, 2]\n{{"id": "x"}}\n{good[:50]}', encoding="utf-8")
    index = TrajectoryIndex(path)
    assert list(index.line_numbers) == [2, 4, 5, 6]
    assert isinstance(index.load(0), Trajectory)
    problems = [index.load(row) for row in (1, 2, 3)]
    assert all(isinstance(p, CorruptLine) for p in problems)
    texts = [p.problem for p in problems if isinstance(p, CorruptLine)]
    assert "(record)" in texts[0]  # a list, not an object
    assert texts[1].startswith("task_id: Field required")
    assert "(last line, cut off)" in texts[2]
    assert [p.line for p in problems if isinstance(p, CorruptLine)] == [4, 5, 6]


def test_chunk_boundaries_do_not_lose_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.index.CHUNK", 7)
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"bb": 22}\n  \n{"c": 3}')
    index = TrajectoryIndex(path)
    assert list(index.line_numbers) == [1, 3, 5]
    assert [index.raw(row).strip() for row in range(3)] == [b'{"a": 1}', b'{"bb": 22}', b'{"c": 3}']


def test_search_looks_at_message_text_only() -> None:
    index = TrajectoryIndex(SAMPLE / TRAJECTORIES)
    rows = list(range(len(index)))
    never = lambda: False  # noqa: E731
    assert index.search("larimer square", rows, never) == [5]
    assert index.search("36 °C", rows, never) == [0]  # not ASCII: every line is parsed
    assert index.search("calculate_equal_split", rows, never) == [1]  # a tool call's name
    assert index.search("base_url", rows, never) == []  # a key, not message text
    assert index.search("larimer", [0, 1], never) == []
    assert index.search("larimer", rows, lambda: True) == []


def test_summarize_all_fills_every_row() -> None:
    index = TrajectoryIndex(SAMPLE / TRAJECTORIES)
    seen: list[int] = []
    index.summarize_all(seen.append)
    assert index.all_summarized and seen == [0]


def test_missing_file_is_a_run_file_error(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match="no such file"):
        TrajectoryIndex(tmp_path / "nope.jsonl")


def test_a_message_source_outside_the_record_model_makes_the_line_corrupt(tmp_path: Path) -> None:
    """``meta[].source`` is ``MessageSource``: a writer that spells a source its own way is caught on read."""
    good = json.loads((SAMPLE / TRAJECTORIES).read_text(encoding="utf-8").splitlines()[0])
    assert [m["source"] for m in good["meta"][:2]] == [MessageSource.SYSTEM, MessageSource.USER_SIMULATOR]
    misspelt = json.loads(json.dumps(good))
    misspelt["meta"][1]["source"] = "simulated_user"
    path = tmp_path / TRAJECTORIES
    path.write_text(f"{json.dumps(good)}\n{json.dumps(misspelt)}\n", encoding="utf-8")
    index = TrajectoryIndex(path)
    assert index.summary(0).status is TrajectoryStatus.COMPLETED
    bad = index.load(1)
    assert isinstance(bad, CorruptLine) and bad.problem.startswith("meta.1.source: Input should be 'system'")
    assert index.summary(1).status == CORRUPT
