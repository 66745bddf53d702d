"""Damaged run directories: ``button run`` (resuming), ``score`` and ``export`` refuse them
with one line ``error: WHERE: WHAT`` and exit code 2, no traceback, and leave every file
as it was. Each case damages a copy of a real run made once for the module."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from tests.bad_input import assert_one_error_line
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, is_user_request, opening, say, user_turn

TASKS = ["--task", "travel.flight_then_hotel", "--task", "weather.conditions_then_run_plan"]
ROLES = ("assistant", "user", "tool")


def chat(body: dict[str, Any]) -> Reply:
    """The user asks, the assistant answers in words, the user stops."""
    if is_user_request(body):
        return user_turn("Plan my trip.", stop=False) if opening(body) else user_turn("Thanks.", stop=True)
    return say("Here is your plan.")


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ScriptedOpenAI]]:
    """A real run of two conversations, and the endpoint it was made with (kept up, so
    that a rerun has the same settings and reaches the damage)."""
    folder = tmp_path_factory.mktemp("made") / "run"
    with ScriptedOpenAI(chat) as server, pytest.MonkeyPatch.context() as patch:
        for key, value in server.env(*ROLES).items():
            patch.setenv(key, value)
        assert main(["run", str(TASKS_FILE), "--out", str(folder), *TASKS]) == 0
        yield folder, server


def rewrite_line(number: int, change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        path = run / "trajectories.jsonl"
        lines = path.read_text().splitlines()
        record = json.loads(lines[number - 1])
        lines[number - 1] = json.dumps(change(record))
        path.write_text("\n".join(lines) + "\n")

    return damage


def replace_line(number: int, text: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        path = run / "trajectories.jsonl"
        lines = path.read_text().splitlines()
        lines[number - 1] = text
        path.write_text("\n".join(lines) + "\n")

    return damage


def lock_folder(run: Path) -> None:
    (run / ".lock").unlink()
    (run / ".lock").mkdir()


def write(name: str, text: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        (run / name).write_text(text)

    return damage


def with_field(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda record: {**record, key: value}


def without_field(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda record: {k: v for k, v in record.items() if k != key}


def changed_task_file(run: Path) -> None:
    """The manifest names a task file that is not the one it was made from."""
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tasks_sha256"] = "0" * 64
    (run / "manifest.json").write_text(json.dumps(manifest))


def gone_task_file(run: Path) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tasks_file"] = manifest["tasks_file_abs"] = str(run / "deleted.jsonl")
    (run / "manifest.json").write_text(json.dumps(manifest))


RUN = ["run", str(TASKS_FILE), "--out", "{run}", *TASKS]
SCORE = ["score", "{run}"]
EXPORT = ["export", "{run}", "--format", "openai", "--out", "{run}/out.jsonl"]

CASES: list[tuple[str, Callable[[Path], None], list[str], str]] = [
    ("manifest not JSON", write("manifest.json", "{oops"), RUN, "manifest.json: unreadable manifest: Expecting"),
    ("manifest a list", write("manifest.json", "[1, 2]"), SCORE, "manifest.json: the manifest is not a JSON object"),
    ("manifest of another task file", changed_task_file, RUN, "manifest.json: the run was made with other settings (tasks_sha256"),
    ("task file gone", gone_task_file, SCORE, "deleted.jsonl is gone; give --tasks"),
    ("no manifest", lambda run: (run / "manifest.json").unlink(), RUN, "trajectories without a manifest: not a run of button run"),
    ("garbage line", replace_line(2, "not json"), RUN, "trajectories.jsonl:2: bad JSON"),
    ("trial a string", rewrite_line(1, with_field("trial", "abc")), RUN, 'trajectories.jsonl:1: trial must be a whole number from 0, got "abc"'),
    ("trial null", rewrite_line(2, with_field("trial", None)), SCORE, "trajectories.jsonl:2: trial"),
    ("record without task_id", rewrite_line(1, without_field("task_id")), EXPORT, "trajectories.jsonl:1: task_id: Field required"),
    ("record not an object", write("trajectories.jsonl", "[1]\n"), SCORE, "trajectories.jsonl:1:"),
    ("no trajectories", lambda run: (run / "trajectories.jsonl").unlink(), SCORE, "no trajectories.jsonl here: not a run directory"),
    ("lock file a folder", lock_folder, RUN, ".lock: cannot open the lock file: Is a directory"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "damage", "args", "expected"), CASES, ids=[case[0] for case in CASES])
def test_a_damaged_run_directory_is_one_error_line_and_left_as_it_was(
    name: str,
    damage: Callable[[Path], None],
    args: list[str],
    expected: str,
    made_run: tuple[Path, ScriptedOpenAI],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made, server = made_run
    for key, value in server.env(*ROLES).items():
        monkeypatch.setenv(key, value)
    run = tmp_path / "run"
    shutil.copytree(made, run)
    damage(run)
    capsys.readouterr()
    filled = [arg.replace("{run}", str(run)) for arg in args]
    assert_one_error_line(filled, 2, expected, tmp_path, capsys)
