"""A reply's tool calls that repeat a call the conversation has already had answered.

Given a tool's result, the 1.5B model often calls the same function with the
same arguments again instead of answering: in the ten-task run it did so until
the turn limit in three tasks, with the system prompt asking it not to. The
serving path leaves such calls out of the reply (they would read the same
result again at best, and book twice at worst); when no call is left, the
reply is asked for again as text. A client that forces a call
(``tool_choice``) gets the call it asked for.
"""

from __future__ import annotations

import json
from typing import Any

from button.data_model.json_types import ChatMessage, ToolCall


def answered_calls(messages: list[ChatMessage]) -> set[tuple[str, str]]:
    """(name, arguments) of every assistant call that a tool message answers."""
    answered_ids = {message.get("tool_call_id") for message in messages if message.get("role") == "tool"}
    return {
        call_key(call)
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or []
        if call.get("id") in answered_ids
    }


def new_calls(calls: list[ToolCall], answered: set[tuple[str, str]]) -> list[ToolCall]:
    """``calls`` without those already answered."""
    return [call for call in calls if call_key(call) not in answered]


def call_key(call: ToolCall) -> tuple[str, str]:
    """A call's name and its arguments in one spelling (key order and spacing do not count)."""
    function = call.get("function") or {}
    return str(function.get("name")), _canonical(function.get("arguments"))


def _canonical(arguments: Any) -> str:
    if isinstance(arguments, str):
        text = arguments
        try:
            arguments = json.loads(text, strict=False)
        except ValueError:
            return text
    return json.dumps(arguments, sort_keys=True, ensure_ascii=False)
