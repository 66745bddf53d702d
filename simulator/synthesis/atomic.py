"""Stage 2: atomic tasks for each scenario.

Each atomic task is one request a single function call can satisfy, with
every detail it needs (names, dates, amounts) and naming no tool.
"""

from __future__ import annotations

import re

from button.data_model.json_types import JsonSchema
from simulator.synthesis.rows import AtomicTaskRow, AtomicTasks, Scenario
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext, text_field
from simulator.synthesis.text_rules import MAX_TASK_CHARS, MIN_TASK_CHARS


def atomic_schema(count: int) -> JsonSchema:
    return {
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "minItems": count,
                "maxItems": count,
                "items": text_field(MIN_TASK_CHARS, MAX_TASK_CHARS),
            }
        },
        "required": ["tasks"],
    }


async def make_atomic_tasks(ctx: SynthContext, key: str, scenario: Scenario, count: int) -> AtomicTasks:
    value = await ctx.ask(key, "atomic", atomic_schema(count), scenario=scenario["text"], count=str(count))
    tasks = [str(text).strip() for text in value["tasks"]]
    if not tasks:
        raise Dropped(DropReason.NO_ATOMIC_TASKS)
    return {"scenario_id": scenario["id"], "scenario": scenario["text"], "tasks": tasks}


def flatten(rows: list[tuple[str, AtomicTasks]]) -> list[tuple[str, AtomicTaskRow]]:
    """One input per atomic task, keyed ``<scenario key>.a<j>``."""
    return [
        (f"{key}.a{j}", {"scenario_id": data["scenario_id"], "scenario": data["scenario"], "text": text})
        for key, data in rows
        for j, text in enumerate(data["tasks"])
    ]


_KEY = re.compile(r"sc(\d+)(?:\.a(\d+))?")


def key_order(key: str) -> tuple[int, int]:
    """(scenario number, atomic task number) of a row key such as ``sc3.a1.seq`` (or a task id
    made from one): the row's place in the whole run, whichever shard made it."""
    found = _KEY.search(key)
    return (int(found[1]), int(found[2] or 0)) if found else (-1, -1)
