"""``button score`` on a real run directory: scores.jsonl, tables, --json, errors, the judge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from button.cli.main import main
from button.data_model.trajectory import JudgeVerdict, Score, Trajectory
from button.storage.records import read_records
from tests.conftest import FIXTURES

SCORING = FIXTURES / "scoring"
TRAJECTORIES = read_records(SCORING / "trajectories.jsonl", Trajectory)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A copy of the fixture run: manifest naming its task file, trajectories."""
    target = tmp_path / "runs" / "fixture"
    shutil.copytree(SCORING, target)
    return target


def test_score_writes_one_score_per_trajectory(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run)]) == 0
    out = capsys.readouterr().out
    assert "per task" in out and "per strategy" in out and "overall" in out
    scores = read_records(run / "scores.jsonl", Score)
    assert [s.trajectory_id for s in scores] == [
        t.id for t in read_records(run / "trajectories.jsonl", Trajectory)
    ]
    assert not (run / "scores.jsonl.partial").exists()
    # scoring again replaces the file, it does not append
    assert main(["score", str(run)]) == 0
    assert len(read_records(run / "scores.jsonl", Score)) == len(scores)


def test_score_json(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    scores = read_records(run / "scores.jsonl", Score)
    verdicts = [s.success for s in scores if s.success is not None]
    assert report["overall"]["trajectories"] == report["scored"] == len(scores) == len(TRAJECTORIES)
    assert report["overall"]["success_rate"] == pytest.approx(sum(verdicts) / len(verdicts))
    assert {s["name"] for s in report["strategies"]} == {"sequential", "parallel-then-sequential"}
    assert {t["name"] for t in report["tasks"]} == {s.task_id for s in scores}
    assert report["judge_usage"] is None and report["duplicates"] == 0


def test_trajectories_file_with_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trajectories = tmp_path / "t.jsonl"
    shutil.copy(SCORING / "trajectories.jsonl", trajectories)
    assert main(["score", str(trajectories)]) == 2
    assert "give the task file with --tasks" in capsys.readouterr().err
    assert main(["score", str(trajectories), "--tasks", str(SCORING / "tasks.jsonl")]) == 0
    assert len(read_records(tmp_path / "scores.jsonl", Score)) == len(TRAJECTORIES)


def test_changed_task_file_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = run / "tasks.jsonl"
    tasks.write_text(tasks.read_text() + "\n")
    assert main(["score", str(run)]) == 2
    assert "changed since the run" in capsys.readouterr().err
    assert main(["score", str(run), "--tasks", str(tasks)]) == 0


def test_unknown_task_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(run), "--tasks", str(FIXTURES / "tasks.jsonl")]) == 2
    assert "'ecommerce.no_plan' of the trajectories is not in" in capsys.readouterr().err


def test_earlier_judge_verdicts_are_reused(run: Path) -> None:
    """An interrupted judged scoring resumes: verdicts of the same judge model are kept."""
    import asyncio

    from button.storage.records import RecordWriter
    from harness.run.run_dir import locate_run
    from harness.score.score_run import TaskSet, partial_path, score_run

    files = locate_run(run)
    tasks = TaskSet.load(run / "tasks.jsonl")
    verdict = JudgeVerdict(success=True, reason="earlier", model="m")
    with RecordWriter(partial_path(files.scores)) as writer:
        writer.append(Score(task_id="x", trajectory_id=TRAJECTORIES[0].id, run_id="r", judge=verdict))
    asked: list[str] = []

    async def judge(trajectory: Trajectory, task: object) -> JudgeVerdict:
        asked.append(trajectory.id)
        return JudgeVerdict(success=False, reason="new", model="m")

    assert asyncio.run(score_run(files, tasks, judge=judge, judge_model="m")) == len(TRAJECTORIES)
    scores = read_records(files.scores, Score)
    assert sorted(asked) == sorted(t.id for t in TRAJECTORIES[1:])
    assert scores[0].judge == verdict
    no_plan = next(s for s in scores if s.task_id == "ecommerce.no_plan")
    assert no_plan.success is False  # the judge decides tasks without a plan
    assert not partial_path(files.scores).exists()


@pytest.mark.model
def test_judge_with_the_embedded_model(
    run: Path, use_embedded_for_all_roles: None, capsys: pytest.CaptureFixture[str]
) -> None:
    only = run / "one.jsonl"
    only.write_text((run / "trajectories.jsonl").read_text().splitlines()[0] + "\n")
    assert main(["score", str(only), "--tasks", str(run / "tasks.jsonl"), "--judge", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (score,) = read_records(run / "scores.jsonl", Score)
    assert score.judge is not None
    assert isinstance(score.judge.success, bool) and score.judge.reason.strip()
    assert score.judge.usage.requests >= 1 and score.judge.usage.prompt_tokens > 0
    assert report["judge_usage"]["requests"] == score.judge.usage.requests


def test_rescoring_the_recorded_run_reproduces_its_committed_scores(tmp_path: Path) -> None:
    """Scores are a pure function of trajectories and tasks: a real run scores the same again."""
    recorded = FIXTURES / "runs" / "recorded"
    committed = read_records(recorded / "scores.jsonl", Score)
    copy = tmp_path / "recorded"
    shutil.copytree(recorded, copy)
    (copy / "scores.jsonl").unlink()
    assert main(["score", str(copy), "--tasks", str(FIXTURES / "tasks.jsonl")]) == 0
    assert read_records(copy / "scores.jsonl", Score) == committed
    assert len(committed) == 10 and not any(score.success for score in committed)


def test_an_unrelated_task_file_in_the_cwd_is_passed_over(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The manifest names ``tasks.jsonl``; the cwd has another file of that name, the run dir the right one."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    shutil.copy(FIXTURES / "tasks.jsonl", elsewhere / "tasks.jsonl")
    monkeypatch.chdir(elsewhere)
    assert main(["score", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks_file"] == str((run / "tasks.jsonl").resolve())


def test_the_absolute_task_file_wins_and_a_moved_one_is_found_by_hash(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    kept = tmp_path / "kept" / "tasks.jsonl"
    kept.parent.mkdir()
    (run / "tasks.jsonl").rename(kept)
    (run / "tasks.jsonl").write_text((FIXTURES / "tasks.jsonl").read_text())  # same name, other tasks
    (run / "manifest.json").write_text(json.dumps({**manifest, "tasks_file_abs": str(kept)}))
    assert main(["score", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks_file"] == str(kept)
    kept.unlink()  # only the wrong file is left: refused, naming it
    assert main(["score", str(run)]) == 2
    assert f"the task file {run / 'tasks.jsonl'} changed since the run" in capsys.readouterr().err
