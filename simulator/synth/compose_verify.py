"""Stage 5: compositional verification, then the user's instruction.

The model judges whether the subtasks together complete the composed task;
then it writes the instruction a user would say. Rules check the instruction:
length, no tool names, it touches every subtask (shares a content word with
each), and it is not a near-duplicate of another task's instruction.
"""

from __future__ import annotations

from typing import Any

from simulator.synth.context import Dropped, SynthContext, text_field
from simulator.synth.text_rules import NearDuplicates, content_words, tool_name_in

VERIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "maxLength": 300},
        "missing": {"type": "array", "items": text_field(1, 80), "maxItems": 5},
    },
    "required": ["reason", "missing"],
}
INSTRUCTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"instruction": text_field(30, 500)},
    "required": ["instruction"],
}


def numbered(subtasks: list[dict[str, Any]]) -> str:
    lines = []
    for subtask in subtasks:
        after = f" (uses the result of {', '.join(subtask['depends_on'])})" if subtask["depends_on"] else ""
        lines.append(f"{subtask['id']}: {subtask['instruction']}{after}")
    return "\n".join(lines)


def instruction_problem(instruction: str, subtasks: list[dict[str, Any]]) -> Dropped | None:
    word = tool_name_in(instruction)
    if word:
        return Dropped("rule: instruction names a tool", repr(word))
    words = content_words(instruction)
    for subtask in subtasks:
        if not words & content_words(subtask["instruction"]):
            return Dropped("rule: instruction misses a subtask", f"says nothing of {subtask['id']}")
    return None


async def verify_and_instruct(ctx: SynthContext, key: str, item: dict[str, Any]) -> dict[str, Any]:
    steps = numbered(item["subtasks"])
    verdict = await ctx.ask(key, "compose_verify", VERIFY_SCHEMA, scenario=item["scenario"], subtasks=steps)
    if verdict["missing"]:
        raise Dropped("model: subtasks incomplete", "; ".join(verdict["missing"]))
    value = await ctx.ask(key, "instruction", INSTRUCTION_SCHEMA, scenario=item["scenario"], subtasks=steps)
    instruction = " ".join(str(value["instruction"]).split())
    problem = instruction_problem(instruction, item["subtasks"])
    if problem:
        raise problem
    return {**item, "instruction": instruction}


def instruction_duplicates() -> Any:
    seen = NearDuplicates()

    def check(key: str, data: dict[str, Any]) -> Dropped | None:
        earlier = seen.check(key, data["instruction"])
        return Dropped("near-duplicate", f"of {earlier}") if earlier else None

    return check
