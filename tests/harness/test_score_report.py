"""``button score`` reports: trajectory rows (--show, --rows), failure reasons counted,
pass@k/pass^k over trials, duplicate ids, and a scoring that stops keeps the old file.

Every expectation is worked out from the files the command wrote (scores.jsonl,
trajectories.jsonl), never from the report itself.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

import harness.score.score_run
from button.cli.main import main
from button.data_model.task import Task
from button.data_model.trajectory import FailureReason, Score, Trajectory, TrajectoryStatus
from button.storage.records import read_records
from harness.score.metrics import score_trajectory
from tests.conftest import FIXTURES

SCORING = FIXTURES / "scoring"
TRAJECTORIES = read_records(SCORING / "trajectories.jsonl", Trajectory)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(SCORING, target)
    return target


@pytest.fixture
def with_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real scorer, plus reasons that do not depend on what it gives: every failure
    also says no_final_answer, every trajectory of the travel task invalid_arguments."""

    def scorer(trajectory: Trajectory, task: Task | None) -> Score:
        score = score_trajectory(trajectory, task)
        if score.success is False:
            score.reasons.append(FailureReason.NO_FINAL_ANSWER)
        if trajectory.task_id.startswith("travel."):
            score.reasons.append(FailureReason.INVALID_ARGUMENTS)
        return score

    monkeypatch.setattr(harness.score.score_run, "score_trajectory", scorer)


def score_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["score", *args, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def failed(score: Score, status: TrajectoryStatus) -> bool:
    return score.success is False or status is TrajectoryStatus.ERROR


def test_reasons_are_counted_per_task_strategy_and_overall(
    run: Path, with_reasons: None, capsys: pytest.CaptureFixture[str]
) -> None:
    report = score_json(capsys, str(run))
    scores = read_records(run / "scores.jsonl", Score)
    strategy = {t.id: t.strategy.value for t in read_records(run / "tasks.jsonl", Task)}
    assert any(FailureReason.INVALID_ARGUMENTS in s.reasons for s in scores)

    def counted(chosen: list[Score]) -> dict[str, int]:
        return dict(Counter(str(reason) for s in chosen for reason in s.reasons))

    assert report["overall"]["reasons"] == counted(scores)
    for summary in report["tasks"]:
        assert summary["reasons"] == counted([s for s in scores if s.task_id == summary["name"]])
    for summary in report["strategies"]:
        assert summary["reasons"] == counted([s for s in scores if strategy[s.task_id] == summary["name"]])
    # and the terminal shows them
    assert main(["score", str(run), "--show", "none"]) == 0
    out = capsys.readouterr().out
    assert "failure reasons" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("invalid_arguments"))
    assert str(counted(scores)["invalid_arguments"]) in line.split()


def test_json_lists_the_chosen_rows(
    run: Path, with_reasons: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = {t.id: t.status for t in TRAJECTORIES}
    every = score_json(capsys, str(run), "--show", "all")
    scores = read_records(run / "scores.jsonl", Score)
    assert [row["trajectory_id"] for row in every["trajectories"]] == [s.trajectory_id for s in scores]
    for row, score in zip(every["trajectories"], scores, strict=True):
        assert row["task_id"] == score.task_id and row["status"] == status[score.trajectory_id].value
        assert row["success"] == score.success and row["reasons"] == [str(r) for r in score.reasons]
        assert row["metrics"]["f1"] == score.metrics.get("f1")
        assert row["metrics"]["tool_calls"] == score.metrics["tool_calls"]
    failures = [s.trajectory_id for s in scores if failed(s, status[s.trajectory_id])]
    assert 0 < len(failures) < len(scores)
    default = score_json(capsys, str(run))
    assert default["show"] == "failures" and default["failures"] == len(failures)
    assert [row["trajectory_id"] for row in default["trajectories"]] == failures
    none = score_json(capsys, str(run), "--show", "none")
    assert none["trajectories"] == [] and none["failures"] == len(failures)
    two = score_json(capsys, str(run), "--show", "all", "--rows", "2")
    assert [row["trajectory_id"] for row in two["trajectories"]] == [s.trajectory_id for s in scores[:2]]
    assert two["rows_chosen"] == len(scores)


def listed(out: str) -> list[str]:
    """The first word of every printed line: a trajectory id on a row."""
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_terminal_rows(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = {t.id: t.status for t in TRAJECTORIES}
    assert main(["score", str(run)]) == 0  # default: the failures
    out = capsys.readouterr().out
    scores = read_records(run / "scores.jsonl", Score)
    ids = [score.trajectory_id for score in scores]
    failures = [s.trajectory_id for s in scores if failed(s, status[s.trajectory_id])]
    assert [word for word in listed(out) if word in ids] == failures
    row = next(line for line in out.splitlines() if line.startswith(failures[-1] + " "))
    assert status[failures[-1]].value in row.split()
    assert main(["score", str(run), "--show", "all"]) == 0
    assert [word for word in listed(capsys.readouterr().out) if word in ids] == ids
    assert main(["score", str(run), "--show", "all", "--rows", "3"]) == 0
    out = capsys.readouterr().out
    assert [word for word in listed(out) if word in ids] == ids[:3]
    assert f"... and {len(ids) - 3} more (--rows 0 lists them all)" in out
    assert main(["score", str(run), "--rows", "-1"]) == 2
    assert "error: --rows: must be 0 or more" in capsys.readouterr().err


def trials_run(folder: Path, trials: int) -> Path:
    """The fixture run with every trajectory made ``trials`` times (trial 0, 1, ...)."""
    shutil.copytree(SCORING, folder)
    lines = []
    for trajectory in TRAJECTORIES:
        for trial in range(trials):
            copy = trajectory.model_copy(update={"id": f"{trajectory.id}~{trial}", "trial": trial})
            lines.append(copy.model_dump_json() + "\n")
    (folder / "trajectories.jsonl").write_text("".join(lines))
    return folder


def test_pass_k_over_trials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = trials_run(tmp_path / "trials", trials=3)
    report = score_json(capsys, str(run), "--show", "none")
    outcomes: dict[str, list[bool]] = {}
    for score in read_records(run / "scores.jsonl", Score):
        if score.success is not None:
            outcomes.setdefault(score.task_id, []).append(score.success)
    most = max(len(oks) for oks in outcomes.values())
    expected_ks = [k for k in (1, 2, 4, 8, 16, 32, 64) if k < most] + [most]
    assert report["pass_k"]["k"] == expected_ks
    means: dict[int, list[tuple[float, float]]] = {}
    for task, oks in outcomes.items():
        entry = report["pass_k"]["tasks"][task]
        assert (entry["trials"], entry["successes"]) == (len(oks), sum(oks))
        values = {value["k"]: value for value in entry["values"]}
        assert sorted(values) == [k for k in expected_ks if k <= len(oks)]
        for k, value in values.items():  # the share of every k-subset of the trials
            draws = list(combinations(oks, k))
            at, hat = sum(map(any, draws)) / len(draws), sum(map(all, draws)) / len(draws)
            assert (value["pass@k"], value["pass^k"]) == (pytest.approx(at), pytest.approx(hat))
            means.setdefault(k, []).append((at, hat))
    for value in report["pass_k"]["overall"]:
        pairs = means[value["k"]]
        assert value["tasks"] == len(pairs)
        assert value["pass@k"] == pytest.approx(sum(a for a, _ in pairs) / len(pairs))
        assert value["pass^k"] == pytest.approx(sum(h for _, h in pairs) / len(pairs))
    assert main(["score", str(run), "--show", "none"]) == 0
    out = capsys.readouterr().out
    assert "pass@k pass^k per k" in out and f"k={most}" in out
    overall = [line for line in out.splitlines() if line.lstrip().startswith("overall ")][-1]
    last = report["pass_k"]["overall"][-1]
    assert overall.split()[-2:] == [f"{last['pass@k']:.2f}", f"{last['pass^k']:.2f}"]


def test_a_single_trial_per_task_has_no_pass_k(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "single"
    shutil.copytree(SCORING, folder)
    seen: set[str] = set()
    lines = []
    for trajectory in TRAJECTORIES:
        if trajectory.task_id not in seen:
            seen.add(trajectory.task_id)
            lines.append(trajectory.model_dump_json() + "\n")
    (folder / "trajectories.jsonl").write_text("".join(lines))
    report = score_json(capsys, str(folder))
    assert report["pass_k"] is None
    assert main(["score", str(folder)]) == 0
    assert "pass^k" not in capsys.readouterr().out


def test_a_repeated_trajectory_id_is_warned_about_and_scored_once(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = TRAJECTORIES[0]
    again = first.model_copy(update={"status": TrajectoryStatus.ERROR, "messages": first.messages[:2]})
    with (run / "trajectories.jsonl").open("a") as handle:
        handle.write(again.model_dump_json() + "\n")
        handle.write(again.model_dump_json() + "\n")
    report = score_json(capsys, str(run), "--show", "all")
    lines = len(TRAJECTORIES)
    scores = read_records(run / "scores.jsonl", Score)
    assert [s.trajectory_id for s in scores] == [t.id for t in TRAJECTORIES]
    assert report["duplicates"] == 2 and report["scored"] == lines
    row = next(r for r in report["trajectories"] if r["trajectory_id"] == first.id)
    assert row["status"] == first.status.value  # the first line's trajectory
    assert main(["score", str(run), "--show", "none"]) == 0
    err = capsys.readouterr().err
    path = run / "trajectories.jsonl"
    assert f"warning: {path}:{lines + 1}: trajectory id {first.id!r} repeats line 1; scored once" in err
    assert f"warning: {path}:{lines + 2}: " in err


def test_a_scoring_that_stops_keeps_the_old_scores(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run)]) == 0
    before = (run / "scores.jsonl").read_bytes()
    stray = TRAJECTORIES[1].model_copy(update={"id": "stray#0", "task_id": "no.such.task"})
    with (run / "trajectories.jsonl").open("a") as handle:
        handle.write(stray.model_dump_json() + "\n")
    capsys.readouterr()
    assert main(["score", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"error: {run / 'trajectories.jsonl'}:{len(TRAJECTORIES) + 1}: task 'no.such.task'" in err
    assert (run / "scores.jsonl").read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == sorted(
        [*(p.name for p in SCORING.iterdir()), "scores.jsonl", "cost.json"]  # cost.json: the first scoring's
    )


def test_an_empty_run_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "trajectories.jsonl").write_text("")
    assert main(["score", str(run)]) == 2
    assert "no trajectories yet" in capsys.readouterr().err
    assert not (run / "scores.jsonl").exists() and not (run / "scores.jsonl.tmp").exists()
