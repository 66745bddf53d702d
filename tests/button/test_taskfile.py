"""Task files: the fixtures load, and every broken file fails with the right location."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from button.data_model.task import Strategy
from button.errors import TaskFileError
from button.validation.task_rules import check_task
from button.validation.taskfile import load_tasks, read_task_file
from tests.conftest import FIXTURES, TASKS_FILE

FINANCE = "finance.two_share_prices_then_split"

# file -> (location suffix, field path) the single problem must name
EXPECTED = {
    "bad_json.jsonl": (":2", "(json)"),
    "missing_field.jsonl": (":1", "instruction"),
    "wrong_type.jsonl": (":1", "subtasks"),
    "bad_task_id.jsonl": (":1", "id"),
    "task_id_dot_dot.jsonl": (":1", "id"),
    "task_id_leading_dash.jsonl": (":1", "id"),
    "parameters_remote_ref.jsonl": (":1", "functions[0].function.parameters"),
    "bad_strategy.jsonl": (":1", "strategy"),
    "parameters_not_object.jsonl": (":1", "functions[1].function.parameters.type"),
    "parameters_invalid_schema.jsonl": (":1", "functions[0].function.parameters"),
    "returns_invalid_schema.jsonl": (":1", "functions[1].returns"),
    "bad_function_name.jsonl": (":1", "functions[1].function.name"),
    "duplicate_function_name.jsonl": (":1", "functions[2].function.name"),
    "unknown_depends_on.jsonl": (":1", "subtasks[1].depends_on[0]"),
    "depends_on_cycle.jsonl": (":1", "subtasks[0].depends_on"),
    "subtask_unknown_function.jsonl": (":1", "subtasks[1].function"),
    "plan_unknown_function.jsonl": (":1", "plan[1][0].name"),
    "plan_duplicate_call_id.jsonl": (":1", "plan[1][0].id"),
    "plan_unknown_subtask.jsonl": (":1", "plan[1][0].subtask"),
    "plan_from_later_group.jsonl": (":1", "plan[0][1].arguments.ticker"),
    "plan_from_unknown_call.jsonl": (":1", "plan[1][0].arguments.city"),
    "plan_from_bad_path.jsonl": (":1", "plan[1][0].arguments.city"),
    "plan_literal_invalid.jsonl": (":1", "plan[0][0].arguments.departure_date"),
    "plan_unknown_reference_form.jsonl": (":1", "plan[1][0].arguments.city"),
    "plan_computed_bad_expression.jsonl": (":1", "plan[1][0].arguments.city"),
    "duplicate_task_id.jsonl": (":2", "id"),
    "tasks_object_bad.json": (": tasks[1]", "scenario"),
    "repeated_key.jsonl": (":1", "functions[1].function.parameters.properties.nights"),
    "tasks_object_repeated_key.json": (": tasks[1]", "(task)"),
}


def test_fixture_tasks_load_with_both_strategies() -> None:
    tasks = load_tasks(TASKS_FILE)
    assert 8 <= len(tasks) <= 12
    assert len({task.id for task in tasks}) == len(tasks)
    assert {task.strategy for task in tasks} == {Strategy.SEQUENTIAL, Strategy.PARALLEL_THEN_SEQUENTIAL}
    for task in tasks:
        assert task.plan, task.id
        assert all(spec.returns for spec in task.functions), task.id


def test_object_form_loads_and_ignores_extra_top_level_keys() -> None:
    path = FIXTURES / "tasks_object.json"
    assert "about" in json.loads(path.read_text())
    assert len(load_tasks(path)) == 2


def test_every_invalid_fixture_is_covered() -> None:
    files = {p.name for p in (FIXTURES / "invalid").iterdir() if p.suffix in {".json", ".jsonl"}}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_reports_one_problem_at_its_field(name: str) -> None:
    path = FIXTURES / "invalid" / name
    report = read_task_file(path)
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    problem = report.problems[0]
    suffix, field = EXPECTED[name]
    assert problem.where == f"{path}{suffix}"
    assert problem.field == field
    with pytest.raises(TaskFileError) as caught:
        load_tasks(path)
    assert str(caught.value).startswith(f"{path}{suffix}: {field}: ")


def test_jsonl_and_object_forms_give_the_same_tasks(tmp_path: Path) -> None:
    tasks = load_tasks(TASKS_FILE)
    as_object = tmp_path / "all.json"
    as_object.write_text(json.dumps({"about": "x", "tasks": [t.model_dump(mode="json") for t in tasks]}))
    assert load_tasks(as_object) == tasks


def test_unknown_task_id_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="no task with id 'nope'"):
        load_tasks(TASKS_FILE, only=["nope"])
    with pytest.raises(TaskFileError, match="no such file"):
        load_tasks(tmp_path / "missing.jsonl")


def test_every_fixture_plan_call_links_the_subtask_it_solves() -> None:
    for task in [*load_tasks(TASKS_FILE), *load_tasks(FIXTURES / "tasks_object.json")]:
        linked = [call.subtask for call in task.planned_calls()]
        assert sorted(linked, key=str) == sorted(s.id for s in task.subtasks if s.function), task.id


def test_a_link_to_a_subtask_of_another_function_is_a_problem() -> None:
    task = load_tasks(TASKS_FILE, only=[FINANCE])[0]
    assert task.plan is not None
    task.plan[1][0].subtask = "s1"  # calculate_equal_split claims a get_share_price step
    assert check_task(task) == [
        ("plan[1][0].subtask", "subtask 's1' is solved by 'get_share_price', not 'calculate_equal_split'")
    ]


def test_subtask_for_follows_the_links_whatever_the_order_of_subtasks() -> None:
    task = load_tasks(TASKS_FILE, only=[FINANCE])[0]
    reordered = task.model_copy(update={"subtasks": task.subtasks[::-1]})
    for ticker in ("AAPL", "MSFT"):
        step = reordered.subtask_for("get_share_price", {"ticker": ticker, "exchange": "NASDAQ"})
        assert step is not None and ticker in step.instruction
    # without links the position fallback pairs calls with the wrong subtasks here
    assert reordered.plan is not None
    unlinked = reordered.model_copy(
        update={"plan": [[c.model_copy(update={"subtask": None}) for c in g] for g in reordered.plan]}
    )
    step = unlinked.subtask_for("get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"})
    assert step is not None and "AAPL" not in step.instruction


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "button.cli.main", *args], capture_output=True, text=True, timeout=60
    )


def test_validate_command_prints_one_line_per_task() -> None:
    result = run_cli("tasks", "validate", str(TASKS_FILE))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(load_tasks(TASKS_FILE))
    assert lines[0].startswith("ok  travel.flight_then_hotel  sequential")


def test_validate_command_on_a_broken_file_exits_2_without_traceback() -> None:
    path = FIXTURES / "invalid" / "plan_literal_invalid.jsonl"
    result = run_cli("tasks", "validate", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {path}:1: plan[0][0].arguments.departure_date: "
        "'12/08/2026' does not match '^\\\\d{4}-\\\\d{2}-\\\\d{2}$'"
    )


def test_show_command_prints_the_task_and_rejects_an_unknown_id() -> None:
    shown = run_cli("tasks", "show", str(TASKS_FILE), "--task", "finance.two_share_prices_then_split")
    assert shown.returncode == 0, shown.stderr
    assert "get_share_price" in shown.stdout and "group 1" in shown.stdout
    missing = run_cli("tasks", "show", str(TASKS_FILE), "--task", "nope")
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: {TASKS_FILE}: no task with id 'nope'")


def test_show_prints_task_text_that_looks_like_markup_as_it_is(tmp_path: Path) -> None:
    task = json.loads(TASKS_FILE.read_text().splitlines()[0])
    task["scenario"] = "A [/bold] tag and [red]brackets[/] in a scenario."
    path = tmp_path / "markup.jsonl"
    path.write_text(json.dumps(task) + "\n")
    shown = run_cli("tasks", "show", str(path), "--task", task["id"])
    assert shown.returncode == 0, shown.stderr
    assert "A [/bold] tag and [red]brackets[/] in a scenario." in shown.stdout
