"""Bad input of every kind ends in one line ``error: WHERE: WHAT`` and exit code 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from button.cli import main
from button.errors import RunFileError
from harness.run_dir import RunDir
from tests.conftest import FIXTURES, TASKS_FILE

INVALID = FIXTURES / "invalid"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["tasks", "validate", str(INVALID / "task_id_dot_dot.jsonl")],
            ":1: id: Value error, task id '..' must be",
        ),
        (
            ["tasks", "validate", str(INVALID / "task_id_leading_dash.jsonl")],
            ":1: id: Value error, task id '-rf'",
        ),
        (
            ["tasks", "validate", str(INVALID / "parameters_remote_ref.jsonl")],
            "$ref 'http://127.0.0.1:9/airport.json' points outside",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "{tmp}/r", "--mcp-url", "notaurl"],
            "error: --mcp-url: 'notaurl' is not an http(s) URL",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "{tmp}/r", "--mcp-url", "http://[::1/mcp"],
            "error: --mcp-url: not a URL",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "{tmp}/r", "--mcp-url", "http://h:99999/mcp"],
            "error: --mcp-url: not a URL",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "{tmp}/r", "--trials", "0"],
            "error: --trials: must be at least 1",
        ),
        (["run", "{tmp}/missing.jsonl", "--out", "{tmp}/r"], "missing.jsonl: no such file"),
        (["run", "{deep}", "--out", "{tmp}/r"], "error: run: an input value is nested too deeply to read"),
        (["tasks", "validate", "{deep}"], "error: tasks: an input value is nested too deeply to read"),
    ],
)
def test_bad_input_is_one_error_line_with_exit_code_2(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    filled = [arg.replace("{tmp}", str(tmp_path)).replace("{deep}", str(deep)) for arg in args]
    assert main(filled) == 2
    assert expected in one_error_line(capsys)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["model", "serve", "--port", "99999"],
            "--port: must be from 0 to 65535, not 99999 (see: button model serve --help)",
        ),
        (["model", "serve", "--port", "-1"], "--port: must be from 0 to 65535, not -1"),
        (["model", "serve", "--port", "x"], "--port: not a whole number: 'x'"),
        (
            ["run", str(TASKS_FILE), "--out", "r", "--assistant-timeout", "0"],
            "--assistant-timeout: must be more than 0 and at most 86400 seconds, not 0",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "r", "--user-timeout", "soon"],
            "--user-timeout: not a number of seconds: 'soon'",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "r", "--tool-retries", "-1"],
            "--tool-retries: must be from 0 to 20, not -1",
        ),
        (
            ["run", str(TASKS_FILE), "--out", "r", "--max-error-rate", "2"],
            "--max-error-rate: must be from 0.0 to 1.0, not 2",
        ),
    ],
)
def test_bad_flags_are_refused_by_the_parser_with_exit_code_2(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    assert one_error_line(capsys).startswith(f"error: {expected}")


@pytest.mark.parametrize("trial", ['"abc"', "null", "-1", "true", "1.5"])
def test_a_damaged_trial_in_a_run_is_named_with_its_line(trial: str, tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    good = json.dumps({"task_id": "a", "trial": 0})
    run.trajectories_path.write_text(f'{good}\n{{"task_id": "a", "trial": {trial}}}\n')
    with pytest.raises(RunFileError) as caught:
        run.done()
    assert str(caught.value) == f"{run.trajectories_path}:2: trial must be a whole number from 0, got {trial}"
