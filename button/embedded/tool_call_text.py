"""Tool calls written as text by a model, read back as OpenAI ``tool_calls``.

Models trained on the Hermes/Qwen convention answer a tool call as

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Lisbon"}}
    </tool_call>

one block per call (several blocks: parallel calls), text outside the blocks
being the message's content. A small model sometimes leaves the tags out and
answers with the bare JSON object, or with JSON objects in Markdown code
fences (Qwen2.5-Coder does), parallel calls as objects in a row or a JSON
list: when no tagged call is found, such objects are read as calls too, but
only when every one of them names an offered tool.

Which of the calls go out is ``calls_to_make``'s to say.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from button.data_model.json_types import ToolCall

OPEN = "<tool_call>"
CLOSE = "</tool_call>"
_BLOCK = re.compile(re.escape(OPEN) + r"(.*?)(?:" + re.escape(CLOSE) + r"|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.DOTALL)


@dataclass
class ParsedReply:
    content: str | None
    tool_calls: list[ToolCall]


def parse_reply(text: str, offered: set[str]) -> ParsedReply:
    """Split a model's reply into its text and its tool calls (OpenAI format, arguments as JSON text)."""
    reply = _calls_in(text, _BLOCK, names=None)
    if reply.tool_calls or not offered:
        return reply
    fenced = _calls_in(text, _FENCE, names=offered)
    if fenced.tool_calls:
        return fenced
    bare = read_calls(text)
    if bare and all(call["function"]["name"] in offered for call in bare):
        return ParsedReply(content=None, tool_calls=bare)
    return reply


def _calls_in(text: str, blocks: re.Pattern[str], names: set[str] | None) -> ParsedReply:
    """The calls in the ``blocks`` of ``text`` (of tools in ``names``, unless None); the rest is text."""
    calls: list[ToolCall] = []
    kept: list[str] = []
    position = 0
    for block in blocks.finditer(text):
        found = read_calls(block.group(1))
        if not found or (names is not None and any(call["function"]["name"] not in names for call in found)):
            continue  # not calls after all: left in the text
        kept.append(text[position : block.start()])
        position = block.end()
        calls += found
    kept.append(text[position:])
    content = "".join(kept).strip()
    return ParsedReply(content=content or None, tool_calls=calls)


def without_line_comments(text: str) -> str:
    """``text`` without ``// ...`` comments outside JSON strings (a code model writes them)."""
    kept: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif text.startswith("//", index):
            index = text.find("\n", index)
            if index < 0:
                break
            continue
        kept.append(char)
        index += 1
    return "".join(kept)


def read_call(body: str) -> ToolCall | None:
    """One ``{"name": ..., "arguments": {...}}`` object as an OpenAI tool call, else None."""
    calls = read_calls(body)
    return calls[0] if len(calls) == 1 else None


def read_calls(body: str) -> list[ToolCall]:
    """The calls ``body`` holds as call objects, one or several in a row or in a JSON list, as
    OpenAI tool calls; none unless all of ``body`` is such calls."""
    values = _json_values(body)
    if values is None:
        values = _json_values(without_line_comments(body))
    if values is None:
        return []
    if len(values) == 1 and isinstance(values[0], list):
        values = values[0]
    calls = [_as_call(value) for value in values]
    return [call for call in calls if call is not None] if None not in calls else []


_DECODER = json.JSONDecoder(strict=False)  # control characters inside strings


def _json_values(text: str) -> list[Any] | None:
    """The JSON values ``text`` is made of, in a row (whitespace or commas between), else None."""
    values: list[Any] = []
    position = 0
    while True:
        while position < len(text) and (text[position].isspace() or text[position] == ","):
            position += 1
        if position == len(text):
            return values or None
        try:
            value, position = _DECODER.raw_decode(text, position)
        except ValueError:
            return None
        values.append(value)


def _as_call(value: Any) -> ToolCall | None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments, strict=False)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": value["name"], "arguments": json.dumps(arguments, ensure_ascii=False)},
    }
