"""Stage 3: atomic verification. Rules first (length, words, no tool names, a
concrete detail, on the scenario's topic, not a near-duplicate), then the model:
one call, every detail given? The model's count of calls stands only where the
request's words can join two requests: it splits one request into its steps."""

from __future__ import annotations

from typing import Any

from button.data_model.json_types import JsonSchema
from simulator.synthesis.rows import AtomicTaskRow
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext
from simulator.synthesis.text_rules import (
    NearDuplicates,
    can_hold_two_requests,
    content_words,
    has_concrete_detail,
    task_text_problem,
)

VERIFY_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "calls": {
            "type": "array",
            "items": {"type": "string", "maxLength": 120},
            "minItems": 1,
            "maxItems": 5,
        },
        "ask": {"type": "array", "items": {"type": "string", "maxLength": 120}, "maxItems": 5},
    },
    "required": ["calls", "ask"],
}


def atomic_rules() -> Any:
    """A pre-check, applied in input order, that remembers what it let through."""
    seen = NearDuplicates()

    def check(key: str, item: AtomicTaskRow) -> Dropped | None:
        text = item["text"]
        problem = task_text_problem(text)
        if problem:
            return Dropped(problem.reason, problem.detail)
        if not has_concrete_detail(text):
            return Dropped(DropReason.NO_DETAIL, "no number, name or place")
        if not content_words(text) & content_words(item["scenario"]):
            return Dropped(DropReason.OFF_SCENARIO, "shares no content word with it")
        earlier = seen.check(key, text)
        return Dropped(DropReason.NEAR_DUPLICATE, f"of {earlier}") if earlier else None

    return check


async def verify_atomic(ctx: SynthContext, key: str, item: AtomicTaskRow) -> AtomicTaskRow:
    verdict = await ctx.ask(
        key, "atomic_verify", VERIFY_SCHEMA, check=True, scenario=item["scenario"], task=item["text"]
    )
    if len(verdict["calls"]) > 1 and can_hold_two_requests(item["text"]):
        raise Dropped(DropReason.MORE_THAN_ONE_CALL, "; ".join(verdict["calls"]))
    if verdict["ask"]:
        raise Dropped(DropReason.DETAILS_MISSING, " ".join(verdict["ask"]))
    return AtomicTaskRow(**item)
