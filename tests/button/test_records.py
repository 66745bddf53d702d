"""Record files survive a writer killed mid-line."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from button.data_model.trajectory import Score
from button.errors import RunFileError
from button.storage.records import RecordWriter, iter_lines, read_records
from tests.conftest import ticks_while


def score(n: int) -> Score:
    return Score(task_id=f"t{n}", trajectory_id=f"t{n}#0", run_id="r", metrics={"f1": n / 10})


def test_records_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    with RecordWriter(path) as writer:
        for n in range(3):
            writer.append(score(n))
    assert read_records(path, Score) == [score(n) for n in range(3)]


def test_a_torn_last_line_is_skipped_by_readers_and_cut_by_writers(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    with RecordWriter(path) as writer:
        writer.append(score(1))
    with path.open("a") as handle:
        handle.write(score(2).model_dump_json()[:25])  # a kill in the middle of a write
    assert [value["task_id"] for _, value, _ in iter_lines(path) if value] == ["t1"]
    with RecordWriter(path) as writer:
        writer.append(score(3))
    assert [s.task_id for s in read_records(path, Score)] == ["t1", "t3"]


def test_a_corrupt_middle_line_is_an_error_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    path.write_text(score(1).model_dump_json() + "\n{oops\n" + score(2).model_dump_json() + "\n")
    problems = [(number, problem) for number, _, problem in iter_lines(path) if problem]
    assert problems == [(2, "bad JSON: Expecting property name enclosed in double quotes (column 2)")]
    with pytest.raises(RunFileError, match=r"scores.jsonl:2: bad JSON"):
        read_records(path, Score)


def test_a_record_of_the_wrong_shape_names_its_field(tmp_path: Path) -> None:
    path = tmp_path / "scores.jsonl"
    path.write_text('{"task_id": "t", "run_id": "r"}\n')
    with pytest.raises(RunFileError, match=r"scores.jsonl:1: trajectory_id: Field required"):
        read_records(path, Score)


def test_a_last_line_without_newline_is_torn_even_if_it_parses(tmp_path: Path) -> None:
    """Readers and writers agree: a record counts only once its newline is written."""
    path = tmp_path / "scores.jsonl"
    path.write_text(score(1).model_dump_json() + "\n" + score(2).model_dump_json())
    assert [value["task_id"] for _, value, _ in iter_lines(path) if value] == ["t1"]
    with RecordWriter(path) as writer:
        writer.append(score(3))
    assert [s.task_id for s in read_records(path, Score)] == ["t1", "t3"]


def test_a_torn_tail_longer_than_the_read_chunk_is_cut_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"a": 1}\n' + '{"b": "' + "x" * 200_000)
    with RecordWriter(path) as writer:
        writer.append({"c": 3})
    assert path.read_text() == '{"a": 1}\n{"c": 3}\n'


def test_an_unwritable_place_is_a_run_file_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RunFileError, match=r"file/sub/scores.jsonl: cannot write"):
        RecordWriter(blocker / "sub" / "scores.jsonl")


async def test_a_coroutine_waits_for_a_slow_disk_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write`` fsyncs in a worker thread: on a disk that takes 300 ms per fsync the loop
    keeps running, and records written at once are whole lines."""
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.3)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    path = tmp_path / "scores.jsonl"
    with RecordWriter(path) as writer:
        writing = asyncio.ensure_future(asyncio.gather(*(writer.write(score(n)) for n in range(3))))
        ticks = await ticks_while(writing)
        await writing
    assert ticks >= 50  # 0.9 s of fsyncs; a blocked loop would tick not at all
    assert sorted(s.trajectory_id for s in read_records(path, Score)) == ["t0#0", "t1#0", "t2#0"]
