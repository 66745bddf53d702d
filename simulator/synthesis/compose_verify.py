"""Stage 5: compositional verification, then the user's instruction.

The model judges whether the subtasks together complete the composed task
(what it calls unknown stands unless the steps name it); then it writes the
instruction a user would say. Rules check the instruction: length, no tool
names, a request for the task (not for its steps), none of the step list's ids
or notes, every step spoken of by its own words and numbers, and not a
near-duplicate of another task's instruction.
"""

from __future__ import annotations

import re
from typing import Any

from button.data_model.json_types import JsonSchema
from simulator.synthesis.rows import Composition, InstructedComposition, Subtask
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext, text_field
from simulator.synthesis.text_rules import NearDuplicates, content_words, tokens, tool_name_in

VERIFY_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "maxLength": 8},
                    "gets_from_earlier": {"type": "string", "maxLength": 160},
                    "still_unknown": {"type": "string", "maxLength": 160},
                },
                "required": ["id", "gets_from_earlier", "still_unknown"],
            },
            "maxItems": 8,
        }
    },
    "required": ["steps"],
}
INSTRUCTION_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {"instruction": text_field(30, 500)},
    "required": ["instruction"],
}


# "follow these steps", "list all the steps", "provide the detailed steps": the 1.5B model wrote a
# heading for a list, or asked for a plan, instead of asking for the task to be done
ASKS_FOR_STEPS = re.compile(
    r"\b(?:follow|list|provide|give|describe|outline|explain)(?:\s+\w+){0,4}\s+steps?\b", re.I
)


def numbered(subtasks: list[Subtask]) -> str:
    lines = []
    for subtask in subtasks:
        after = f" (uses the result of {', '.join(subtask['depends_on'])})" if subtask["depends_on"] else ""
        lines.append(f"{subtask['id']}: {subtask['instruction']}{after}")
    return "\n".join(lines)


def instruction_problem(instruction: str, subtasks: list[Subtask]) -> Dropped | None:
    word = tool_name_in(instruction)
    if word:
        return Dropped(DropReason.INSTRUCTION_NAMES_TOOL, repr(word))
    if instruction.rstrip().endswith(":") or ASKS_FOR_STEPS.search(instruction):
        return Dropped(DropReason.INSTRUCTION_ASKS_FOR_STEPS, "a list's heading or a request for a plan")
    if "uses the result of" in instruction:  # the step list's note, copied
        return Dropped(DropReason.INSTRUCTION_NAMES_STEP, "copies 'uses the result of'")
    for subtask in subtasks:  # the step list's ids
        if re.search(rf"\b{re.escape(subtask['id'])}\b", instruction):
            return Dropped(DropReason.INSTRUCTION_NAMES_STEP, f"says {subtask['id']!r}")
    words = content_words(instruction)
    numbers = _numbers(instruction)
    for subtask, own in zip(subtasks, _own_words(subtasks), strict=True):
        if not words & own:
            return Dropped(DropReason.INSTRUCTION_MISSES_SUBTASK, f"says nothing of {subtask['id']}")
        left_out = sorted(_numbers(subtask["instruction"]) - numbers)
        if left_out:  # the user simulator could not give it, nor a call take it from the task
            detail = f"leaves out {', '.join(left_out)} of {subtask['id']}"
            return Dropped(DropReason.INSTRUCTION_MISSES_SUBTASK, detail)
    return None


def _numbers(text: str) -> set[str]:
    return {token for token in tokens(text) if token.isdigit()}


def _own_words(subtasks: list[Subtask]) -> list[set[str]]:
    """Each step's words that no other step has (all its words when it has none of its own):
    an instruction speaks of a step when it says one of them."""
    words = [content_words(subtask["instruction"]) for subtask in subtasks]
    owns = []
    for index, mine in enumerate(words):
        others = set().union(*(theirs for other, theirs in enumerate(words) if other != index))
        owns.append(mine - others or mine)
    return owns


async def still_unknown(ctx: SynthContext, key: str, item: Composition) -> list[str]:
    """The model's verdict: what each step would still have to ask the user, ``"s2: which day"``."""
    verdict = await ctx.ask(
        key,
        "compose_verify",
        VERIFY_SCHEMA,
        check=True,
        scenario=item["scenario"],
        subtasks=numbered(item["subtasks"]),
    )
    by_id = {subtask["id"]: subtask for subtask in item["subtasks"]}
    return [
        f"{step['id']}: {step['still_unknown']}"
        for step in verdict["steps"]
        if _says_something(step["still_unknown"])
        and not named_by_steps(step["still_unknown"], _step_and_sources(by_id, step["id"]))
    ]


def _step_and_sources(by_id: dict[str, Subtask], step_id: str) -> list[str]:
    """The texts of a step and of the steps whose results it uses (none for an id not in the task)."""
    step = by_id.get(step_id)
    if step is None:
        return []
    return [
        step["instruction"],
        *(by_id[source]["instruction"] for source in step["depends_on"] if source in by_id),
    ]


# "a developer", "another apartment", "the other supplier": a thing named, but not a particular one
# (lower case only: the "A" of "supplier A" is a name)
_NOT_A_PARTICULAR = re.compile(r"\b(?:a|an|another|any|some|other)\s+(?:[\w-]+\s+)?[\w-]+")


def named_by_steps(unknown: str, texts: list[str]) -> bool:
    """Whether ``texts`` (a step and its sources) name what the verifier calls unknown: every
    word of it, not only after "a", "any" or "other". The 1.5B verifier calls unknown what the
    step names ("which supplier" for "... from supplier B") or decides ("which day is better").
    Cases: ``tests/simulator/test_still_unknown_rule.py``."""
    words = content_words(unknown)
    named = set().union(*(content_words(_NOT_A_PARTICULAR.sub(" ", text)) for text in texts))
    return bool(words) and words <= named


async def verify_and_instruct(ctx: SynthContext, key: str, item: Composition) -> InstructedComposition:
    unknown = await still_unknown(ctx, key, item)
    if unknown:
        raise Dropped(DropReason.SUBTASKS_INCOMPLETE, "; ".join(unknown))
    steps = numbered(item["subtasks"])
    value = await ctx.ask(key, "instruction", INSTRUCTION_SCHEMA, scenario=item["scenario"], subtasks=steps)
    instruction = " ".join(str(value["instruction"]).split())
    problem = instruction_problem(instruction, item["subtasks"])
    if problem:
        raise problem
    return InstructedComposition(**item, instruction=instruction)


NOTHING = {"", "nothing", "none", "n/a", "na", "-", "nothing else"}


def _says_something(answer: str) -> bool:
    return answer.strip().strip(".").lower() not in NOTHING


def instruction_duplicates() -> Any:
    seen = NearDuplicates()

    def check(key: str, data: InstructedComposition) -> Dropped | None:
        earlier = seen.check(key, data["instruction"])
        return Dropped(DropReason.NEAR_DUPLICATE, f"of {earlier}") if earlier else None

    return check
