"""Bad task files and bad command lines: one line ``error: WHERE: WHAT``, exit code 2, no
traceback, nothing written. (Damaged run directories: tests/harness/test_bad_run_dirs.py;
bad MCP arguments: tests/mcp_servers/test_bad_arguments.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from button.errors import RunFileError
from harness.run.run_dir import RunDir
from tests.bad_input import assert_one_error_line
from tests.conftest import FIXTURES, TASKS_FILE

INVALID = FIXTURES / "invalid"
TASKS = str(TASKS_FILE)
RUN = ["run", TASKS, "--out", "{tmp}/r"]  # a run that bad input must stop before it makes {tmp}/r


def made_files(tmp_path: Path) -> dict[str, Path]:
    """Input files for the cases, under ``tmp_path`` (the cases' ``{name}`` placeholders)."""
    files = {
        "deep": "[" * 100_000 + "]" * 100_000 + "\n",
        "empty": "",
        "latin1": "caf\xe9\n",
        "tools_not_objects": "[1]",
    }
    found: dict[str, Path] = {}
    for name, text in files.items():
        found[name] = tmp_path / "inputs" / f"{name}.jsonl"
        found[name].parent.mkdir(exist_ok=True)
        found[name].write_bytes(text.encode("latin-1"))
    return found


TASK_FILE_CASES = [
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
        ["tasks", "validate", str(INVALID / "repeated_key.jsonl")],
        "repeated_key.jsonl:1: functions[1].function.parameters.properties.nights: key 'type' is given twice",
    ),
    (
        ["run", str(INVALID / "tasks_object_repeated_key.json"), "--out", "{tmp}/r"],
        "tasks_object_repeated_key.json: tasks[1]: (task): key 'instruction' is given twice",
    ),
    ([*RUN[:1], str(INVALID / "bad_json.jsonl"), *RUN[2:]], "bad_json.jsonl:2: (json): bad JSON:"),
    (["run", "{tmp}/missing.jsonl", "--out", "{tmp}/r"], "missing.jsonl: no such file"),
    (["run", "{deep}", "--out", "{tmp}/r"], "error: run: an input value is nested too deeply to read"),
    (["tasks", "validate", "{deep}"], "error: tasks: an input value is nested too deeply to read"),
    (["tasks", "validate", "{empty}"], "empty.jsonl: the file holds no tasks"),
    (["tasks", "validate", "{latin1}"], "latin1.jsonl: cannot read: 'utf-8' codec can't decode byte 0xe9"),
    (["tasks", "validate", "{tmp}/inputs"], "inputs: cannot read: [Errno 21] Is a directory"),
    ([*RUN, "--task", "no.such.task"], "tasks.jsonl: no task with id 'no.such.task'"),
    (
        ["serve", "--tools", "{tools_not_objects}"],
        "tools_not_objects.jsonl: [0]: Input should be a valid dictionary",
    ),
]

COMMAND_LINE_CASES = [
    ([*RUN, "--mcp-url", "notaurl"], "error: --mcp-url: 'notaurl' is not an http(s) URL"),
    ([*RUN, "--mcp-url", "http://[::1/mcp"], "error: --mcp-url: not a URL"),
    ([*RUN, "--mcp-url", "http://h:99999/mcp"], "error: --mcp-url: not a URL"),
    ([*RUN, "--trials", "0"], "error: --trials: must be at least 1"),
    ([*RUN, "--concurrency", "0"], "error: --concurrency: must be at least 1"),
    ([*RUN, "--system-prompt", "{tmp}/nope.md"], "nope.md: cannot read: [Errno 2] No such file"),
    ([*RUN, "--embedded", "nosuch"], "error: --embedded: unknown embedded model 'nosuch'"),
    (
        ["serve", TASKS, "--tools", "{tools_not_objects}"],
        "error: button serve: give one of TASKS, --tools FILE",
    ),
    (
        ["serve", TASKS, "--transport", "http", "--host", "0.0.0.0", "--auth-token", " "],
        "error: --auth-token: the token is blank",
    ),
]

USAGE_CASES = [  # refused by the parser: the usage is one --help away
    (["model", "serve", "--port", "99999"], "error: --port: must be from 0 to 65535, not 99999 (see: button model serve --help)"),
    (["model", "serve", "--port", "-1"], "error: --port: must be from 0 to 65535, not -1"),
    (["model", "serve", "--port", "x"], "error: --port: not a whole number: 'x'"),
    (["serve", TASKS, "--transport", "http", "--port", "70000"], "error: --port: must be from 0 to 65535, not 70000 (see: button serve --help)"),
    ([*RUN, "--assistant-timeout", "0"], "error: --assistant-timeout: must be more than 0 and at most 86400 seconds, not 0"),
    ([*RUN, "--user-timeout", "soon"], "error: --user-timeout: not a number of seconds: 'soon'"),
    ([*RUN, "--tool-retries", "-1"], "error: --tool-retries: must be from 0 to 20, not -1"),
    ([*RUN, "--max-error-rate", "2"], "error: --max-error-rate: must be from 0.0 to 1.0, not 2"),
    ([*RUN, "--mcp-command", 'serve "tasks'], "error: --mcp-command: cannot split 'serve \"tasks' into words: No closing quotation"),
    ([*RUN, "--mcp-command", " "], "error: --mcp-command: the command is empty (see: button run --help)"),
    (["serve", "--twin-command", "npx 'server"], "error: --twin-command: cannot split"),
    ([*RUN, "--bogus", "1"], "error: --bogus 1: not an argument of button run (see: button run --help)"),
    (["tasks", "validate", "--strict", TASKS], "error: --strict: not an argument of button tasks validate"),
    (["run", TASKS], "error: button run: the following arguments are required: --out (see: button run --help)"),
    (["export", "{tmp}/r", "--format", "csv", "--out", "{tmp}/x"], "error: --format: invalid choice: 'csv'"),
    (["frobnicate"], "error: COMMAND: invalid choice: 'frobnicate'"),
    ([*RUN, "--mcp-url", "http://a/mcp", "--mcp-command", "x"], "error: --mcp-command: not allowed with argument --mcp-url"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), TASK_FILE_CASES + COMMAND_LINE_CASES + USAGE_CASES)
def test_bad_input_is_one_error_line_with_exit_code_2_and_nothing_written(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = made_files(tmp_path)
    filled = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    for name, path in files.items():
        filled = [arg.replace(f"{{{name}}}", str(path)) for arg in filled]
    assert_one_error_line(filled, 2, expected, tmp_path, capsys)


def test_a_byte_order_mark_is_not_content(tmp_path: Path) -> None:
    """A task file saved by an editor that writes a BOM loads as the same tasks."""
    from button.validation.taskfile import load_tasks

    marked = tmp_path / "bom.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + TASKS_FILE.read_bytes())
    assert load_tasks(marked) == load_tasks(TASKS_FILE)


@pytest.mark.parametrize("trial", ['"abc"', "null", "-1", "true", "1.5"])
def test_a_damaged_trial_in_a_run_is_named_with_its_line(trial: str, tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    good = json.dumps({"task_id": "a", "trial": 0})
    run.trajectories_path.write_text(f'{good}\n{{"task_id": "a", "trial": {trial}}}\n')
    with pytest.raises(RunFileError) as caught:
        run.done()
    assert str(caught.value) == f"{run.trajectories_path}:2: trial must be a whole number from 0, got {trial}"
