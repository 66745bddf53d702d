"""Stage 4: composition. The model writes new atomic tasks around a verified one;
the dependency structure is fixed here, as data, by the strategy:

- sequential: s1 (the atomic task), s2 a follow-up that needs s1's output;
- parallel-then-sequential: s1 and an independent s2, then s3 that needs both.
"""

from __future__ import annotations

from typing import Any

from button.data_model.json_types import JsonSchema
from button.data_model.task import Strategy
from simulator.synthesis.atomic import key_order
from simulator.synthesis.rows import AtomicTaskRow, Composition, CompositionInput, Subtask
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext, text_field
from simulator.synthesis.text_rules import (
    MAX_TASK_CHARS,
    MIN_TASK_CHARS,
    NearDuplicates,
    repeats_earlier,
    task_text_problem,
)

SHORT = {Strategy.SEQUENTIAL: "seq", Strategy.PARALLEL_THEN_SEQUENTIAL: "pts"}
_TASK = text_field(MIN_TASK_CHARS, MAX_TASK_CHARS)
SCHEMAS: dict[Strategy, JsonSchema] = {
    Strategy.SEQUENTIAL: {
        "type": "object",
        "properties": {"next_task": _TASK},
        "required": ["next_task"],
    },
    Strategy.PARALLEL_THEN_SEQUENTIAL: {
        "type": "object",
        "properties": {"parallel_task": _TASK, "final_task": _TASK},
        "required": ["parallel_task", "final_task"],
    },
}


def composition_inputs(
    verified: list[tuple[str, AtomicTaskRow]], strategies: list[Strategy], offset: int, per_scenario: int
) -> list[tuple[str, CompositionInput]]:
    """Each verified atomic task is composed with one strategy, taken in turn by the task's
    place among all atomic tasks (``per_scenario`` to a scenario): a task gets the same
    strategy whatever was dropped before it, and in whichever shard it is made."""
    inputs = []
    for key, item in verified:
        scenario, number = key_order(key)
        strategy = strategies[(scenario * per_scenario + number + offset) % len(strategies)]
        inputs.append((f"{key}.{SHORT[strategy]}", CompositionInput(**item, strategy=strategy.value)))
    return inputs


def subtasks_for(strategy: Strategy, first: str, value: dict[str, Any]) -> list[Subtask]:
    """The subtasks and their ``depends_on``, from the strategy alone."""
    if strategy is Strategy.SEQUENTIAL:
        return [
            {"id": "s1", "instruction": first, "depends_on": []},
            {"id": "s2", "instruction": value["next_task"].strip(), "depends_on": ["s1"]},
        ]
    return [
        {"id": "s1", "instruction": first, "depends_on": []},
        {"id": "s2", "instruction": value["parallel_task"].strip(), "depends_on": []},
        {"id": "s3", "instruction": value["final_task"].strip(), "depends_on": ["s1", "s2"]},
    ]


async def compose(ctx: SynthContext, key: str, item: CompositionInput) -> Composition:
    strategy = Strategy(item["strategy"])
    prompt = f"compose_{SHORT[strategy]}"
    value = await ctx.ask(key, prompt, SCHEMAS[strategy], scenario=item["scenario"], task=item["text"])
    subtasks = subtasks_for(strategy, item["text"], value)
    for index, subtask in enumerate(subtasks[1:], start=1):
        problem = task_text_problem(subtask["instruction"])
        if problem:
            raise Dropped(problem.reason, f"{subtask['id']}: {problem.detail}")
        for earlier in subtasks[:index]:
            if repeats_earlier(earlier["instruction"], subtask["instruction"]):
                raise Dropped(
                    DropReason.REPEATS_SUBTASK,
                    f"{subtask['id']} repeats {earlier['id']}: {subtask['instruction']!r}",
                )
    return {
        "scenario_id": item["scenario_id"],
        "scenario": item["scenario"],
        "strategy": strategy.value,
        "subtasks": subtasks,
    }


def composed_duplicates() -> Any:
    """A post-check that drops compositions repeating an earlier one."""
    seen = NearDuplicates()

    def check(key: str, data: Composition) -> Dropped | None:
        text = " ".join(s["instruction"] for s in data["subtasks"])
        earlier = seen.check(key, text)
        return Dropped(DropReason.NEAR_DUPLICATE, f"of {earlier}") if earlier else None

    return check
