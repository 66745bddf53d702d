from __future__ import annotations

import json
from pathlib import Path

import pytest

from button.errors import RunFileError
from harness.run.run_dir import SCORES, TRAJECTORIES
from tui.open_run import open_run

from .conftest import SAMPLE


def test_a_run_directory_brings_scores_and_plans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # tasks_file is found above the run directory, not via the cwd
    run = open_run(SAMPLE)
    assert len(run.index) == 6
    assert set(run.scores.ids()) == {
        "weather.conditions_then_run_plan#0",
        "finance.two_share_prices_then_split#0",
        "education.course_section_enroll#0",
        "ecommerce.order_then_tracking#0",
        "travel.flight_then_hotel#0",
    }
    assert "travel.flight_then_hotel" in run.tasks
    assert run.notices == []


def test_a_trajectories_file_picks_up_its_neighbours() -> None:
    run = open_run(SAMPLE / TRAJECTORIES)
    assert len(run.scores) == 5 and len(run.tasks) == 10


def test_missing_paths_are_run_file_errors(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match="no such file or directory"):
        open_run(tmp_path / "nope")
    with pytest.raises(RunFileError, match=r"no trajectories\.jsonl"):
        open_run(tmp_path)


def test_bad_scores_and_changed_or_missing_tasks_become_notices(
    sample_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample_copy)
    with (sample_copy / SCORES).open("a", encoding="utf-8") as handle:
        handle.write("not json\n" + json.dumps({"task_id": "x"}) + "\n")
        handle.write(
            json.dumps(
                {"task_id": "t", "run_id": "r", "trajectory_id": "travel.flight_then_hotel#0", "metrics": 1}
            )
            + "\n"
        )
    tasks = sample_copy.parent.parent / "tasks.jsonl"
    tasks.write_text(tasks.read_text(encoding="utf-8").replace("Phoenix", "Tucson"), encoding="utf-8")
    run = open_run(sample_copy)
    assert len(run.scores) == 5
    assert any(":6: bad JSON" in notice for notice in run.notices)
    assert any(":7: no trajectory_id" in notice for notice in run.notices)
    assert run.scores.get("travel.flight_then_hotel#0") is None  # the rescore on line 8 is broken
    assert (
        "scores.jsonl:8: metrics: Input should be an object"
        in run.scores.problems["travel.flight_then_hotel#0"]
    )
    assert any("changed since the run" in notice for notice in run.notices)
    tasks.unlink()
    run = open_run(sample_copy)
    assert run.tasks == {} and any("not found; no plans" in notice for notice in run.notices)


def test_an_explicit_task_file_wins(sample_copy: Path, tmp_path: Path) -> None:
    only_one = tmp_path / "one.jsonl"
    only_one.write_text(
        (SAMPLE.parents[1] / "tasks.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n"
    )
    run = open_run(sample_copy, tasks_file=only_one)
    assert list(run.tasks) == ["travel.flight_then_hotel"]
