"""Stage 7: the plan, derived from ``depends_on``, and the finished Task.

Calls are grouped by dependency depth: a group holds calls whose subtasks'
dependencies all sit in earlier groups, so calls in one group may run in
parallel. Subtask ``sN`` becomes call ``cN``, linked back by its ``subtask``
field; ``{"from": "sN.f"}`` becomes ``{"from": "cN.f"}``, and
``{"from_all": ["s1.f", "s2.f"]}`` (one parameter fed by several parallel
results, see ``simulator.synthesis.functions``) ``{"from_all": ["c1.f", "c2.f"]}``. The task is checked
with ``button.validation.task_rules`` before it is kept.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from button.data_model.json_types import ToolArguments
from button.data_model.task import Task
from button.validation.task_rules import check_task
from simulator.synthesis.rows import PlannedCallJson, Subtask, SubtaskCall, TaskJson, WithFunctions
from simulator.synthesis.stage_context import Dropped, DropReason


def task_id(key: str) -> str:
    return "synth." + re.sub(r"[^A-Za-z0-9_.-]", "-", key)


def depth(subtasks: list[Subtask]) -> dict[str, int]:
    """Each subtask's distance from the roots of the dependency graph (composition has no cycles)."""
    by_id = {s["id"]: s for s in subtasks}
    found: dict[str, int] = {}

    def visit(sid: str) -> int:
        if sid not in found:
            found[sid] = 1 + max((visit(d) for d in by_id[sid]["depends_on"]), default=-1)
        return found[sid]

    for sid in by_id:
        visit(sid)
    return found


def call_path(path: str) -> str:
    """``"s2.price"`` -> ``"c2.price"``."""
    sid, _, field = path.partition(".")
    return f"c{sid.removeprefix('s')}.{field}"


def call_arguments(arguments: ToolArguments) -> ToolArguments:
    out: ToolArguments = {}
    for name, value in arguments.items():
        if isinstance(value, dict) and set(value) == {"from"}:
            out[name] = {"from": call_path(value["from"])}
        elif isinstance(value, dict) and set(value) == {"from_all"}:
            out[name] = {"from_all": [call_path(path) for path in value["from_all"]]}
        else:
            out[name] = value
    return out


def derive_plan(subtasks: list[Subtask], calls: dict[str, SubtaskCall]) -> list[list[PlannedCallJson]]:
    levels = depth(subtasks)
    groups: dict[int, list[PlannedCallJson]] = {}
    for subtask in subtasks:
        call = calls.get(subtask["id"])
        if call is not None:
            groups.setdefault(levels[subtask["id"]], []).append(
                {
                    "id": "c" + subtask["id"].removeprefix("s"),
                    "name": call["function"],
                    "arguments": call_arguments(call["arguments"]),
                    "subtask": subtask["id"],
                }
            )
    return [groups[level] for level in sorted(groups)]


def build_task(key: str, item: WithFunctions) -> TaskJson:
    """The finished task as JSON; ``Dropped`` when it breaks a task rule."""
    calls = item["calls"]
    raw = {
        "id": task_id(key),
        "strategy": item["strategy"],
        "scenario": item["scenario"],
        "instruction": item["instruction"],
        "subtasks": [
            {**subtask, "function": calls[subtask["id"]]["function"] if subtask["id"] in calls else None}
            for subtask in item["subtasks"]
        ],
        "functions": item["functions"],
        "plan": derive_plan(item["subtasks"], calls),
        "metadata": {"source": "button synth", "scenario_id": item["scenario_id"], "key": key},
    }
    try:
        task = Task.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise Dropped(DropReason.TASK_RULE, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from error
    problems = check_task(task)
    if problems:
        field, message = problems[0]
        raise Dropped(DropReason.TASK_RULE, f"{field}: {message}")
    return task.model_dump(mode="json", exclude_none=True)
