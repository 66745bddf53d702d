"""Which of an embedded reply's tool calls go out now.

The 1.5B model, measured on the fixture tasks, makes two kinds of call that a
careful assistant would not, and the serving path holds both back:

- a call identical to one the conversation already had answered: given a
  tool's result it often called the same function again instead of
  answering, until the turn limit (three of ten tasks), with the system
  prompt asking it not to. Such a call is left out: it would read the same
  result at best, and book twice at worst;
- a call that waits for a value: it called a lookup and, in the same reply,
  the calls that need its result, with a template slot where the value
  belongs (``"<warehouse-id>"``), or with a guess: a code (``"STAT101"``: one
  word with letters and digits) or a number (``256.78``) that no user,
  system or tool message holds. Such calls are left out when the reply has a
  call that is ready; the model makes them in its next turn, with the
  lookup's result in its prompt. Calls that all wait go out (the tool
  simulator refuses a slot with an error saying why; an unknown id is the
  tool's error to give).

A reply left with no call is asked for again as text (``chat_handler``). A
client that forces a call (``tool_choice``) gets the call it asked for.
"""

from __future__ import annotations

import json
import re
from typing import Any

from button.data_model.json_types import ChatMessage, ToolCall
from button.embedded.chat_template import content_text
from button.validation.placeholders import placeholder_in
from button.validation.written_values import numbers_written

_CODE = re.compile(r"(?=\S*[A-Za-z])(?=\S*\d)\S{3,}")  # one word with letters and digits: an id


def calls_to_make(calls: list[ToolCall], messages: list[ChatMessage]) -> list[ToolCall]:
    """``calls`` without those already answered in ``messages`` and, when one is ready, those
    that wait for a value."""
    seen = "\n".join(content_text(m.get("content")) for m in messages if m.get("role") != "assistant")
    answered = answered_calls(messages)
    new = [call for call in calls if call_key(call) not in answered]
    numbers = numbers_written(seen)
    ready = [call for call in new if not _waits_for_a_value(call, seen.casefold(), numbers)]
    return ready or new


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


def call_key(call: ToolCall) -> tuple[str, str]:
    """A call's name and its arguments in one spelling (key order and spacing do not count)."""
    function = call.get("function") or {}
    return str(function.get("name")), json.dumps(_arguments(call), sort_keys=True, ensure_ascii=False)


def _arguments(call: ToolCall) -> Any:
    arguments = (call.get("function") or {}).get("arguments")
    if isinstance(arguments, str):
        try:
            return json.loads(arguments, strict=False)
        except ValueError:
            return arguments
    return arguments


def _waits_for_a_value(call: ToolCall, seen: str, numbers: set[float]) -> bool:
    """True when the call's arguments hold a template slot, or a code or number nobody gave."""
    values = _arguments(call)
    if placeholder_in(values) is not None:
        return True
    for value in _leaves(values):
        if isinstance(value, str) and _CODE.fullmatch(value.strip()) and value.strip().casefold() not in seen:
            return True
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) not in numbers:
            return True
    return False


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [value]
