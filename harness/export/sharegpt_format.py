"""LLaMA-Factory's ShareGPT format with tools.

``{"conversations": [{"from": ..., "value": ...}], "system": str, "tools": str}``
where ``from`` is ``human``, ``gpt``, ``function_call`` or ``observation``;
human and observation turns sit at even positions (0, 2, ...), gpt and
function_call turns at odd ones, and the record ends with gpt. ``tools`` is the
JSON text of the function definitions. A function_call turn holds one
``{"name", "arguments"}`` object, or a list of them for parallel calls; its
observation holds the result text, or a JSON list of the results in call
order. The format has no room for text beside a tool call: such text is left
out.

LLaMA-Factory reads only the columns its ``dataset_info.json`` names
(``conversations``, ``system``, ``tools``), so a record also carries
``trajectory_id`` and ``task_id`` (``TRACE_FIELDS``).
"""

from __future__ import annotations

import json
from typing import Any

from button.data_model.json_types import ExportRecord, ToolDefinition
from harness.export.clean_conversation import ExportedCall, Turn, dumps, unknown_tools

TRACE_FIELDS = True  # extra columns are ignored by the reader
ASKING = ("human", "observation")  # even positions
ANSWERING = ("gpt", "function_call")  # odd positions


def encode(turns: list[Turn], tools: list[ToolDefinition]) -> ExportRecord:
    system = "\n\n".join(turn.text for turn in turns if turn.role == "system")
    conversations: list[dict[str, str]] = []
    for turn in turns:
        if turn.role == "user":
            conversations.append({"from": "human", "value": turn.text})
        elif turn.role == "assistant" and not turn.calls:
            conversations.append({"from": "gpt", "value": turn.text})
        elif turn.role == "assistant":
            items = [{"name": call.name, "arguments": call.arguments} for call in turn.calls]
            results = [call.result for call in turn.calls]
            single = len(items) == 1
            conversations.append({"from": "function_call", "value": dumps(items[0] if single else items)})
            observation = turn.calls[0].result_text if single else dumps(results)
            conversations.append({"from": "observation", "value": observation})
    functions = [tool.get("function", tool) for tool in tools]
    return {"conversations": conversations, "system": system, "tools": dumps(functions)}


def decode(record: ExportRecord) -> list[Turn]:
    """Turns of a record that passed ``check``; calls get ids call_1, call_2, ..."""
    turns = [Turn(role="system", text=record["system"])] if record.get("system") else []
    number = 0
    for item in record["conversations"]:
        kind, value = item["from"], item["value"]
        if kind == "human":
            turns.append(Turn(role="user", text=value))
        elif kind == "gpt":
            turns.append(Turn(role="assistant", text=value))
        elif kind == "function_call":
            parsed = json.loads(value)
            calls = []
            for call in parsed if isinstance(parsed, list) else [parsed]:
                number += 1
                calls.append(ExportedCall(f"call_{number}", call["name"], call["arguments"], result_text=""))
            turns.append(Turn(role="assistant", calls=calls))
        else:
            calls = turns[-1].calls
            texts = [value] if len(calls) == 1 else [_text(result) for result in json.loads(value)]
            for call, text in zip(calls, texts, strict=True):
                call.result_text = text
    return turns


def tools(record: ExportRecord) -> list[ToolDefinition]:
    """The function definitions of a checked record."""
    found: list[ToolDefinition] = json.loads(record.get("tools", "[]"))
    return found


def check(record: ExportRecord) -> list[str]:
    conversations = record.get("conversations")
    if not isinstance(conversations, list) or not conversations:
        return ["bad record: conversations must be a non-empty list"]
    if not isinstance(record.get("system", ""), str):
        return ["bad record: system must be a string"]
    try:
        tools = json.loads(record.get("tools", "[]"))
    except (TypeError, json.JSONDecodeError):
        return ["bad record: tools must be the JSON text of a list"]
    if not isinstance(tools, list):
        return ["bad record: tools must be the JSON text of a list"]
    problems: list[str] = []
    calls_made = 0
    for position, item in enumerate(conversations):
        kind = item.get("from") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            return [f"bad record: turn {position} needs a string value"]
        expected = ASKING if position % 2 == 0 else ANSWERING
        if kind not in expected:
            problems.append(f"turn order: {kind!r} at position {position}, expected one of {expected}")
            continue
        if kind == "function_call":
            calls_made = _call_count(item["value"])
            if calls_made == 0:
                problems.append(f"bad function_call: position {position} is not a call or a list of calls")
        elif kind == "observation":
            if position == 0 or conversations[position - 1].get("from") != "function_call":
                problems.append(f"turn order: observation at position {position} follows no function_call")
            elif calls_made > 1 and not _is_list_of(item["value"], calls_made):
                problems.append(f"bad observation: position {position} needs a list of {calls_made} results")
    if conversations[-1].get("from") != "gpt":
        problems.append("turn order: the record must end with a gpt turn")
    if not problems:
        problems += unknown_tools(decode(record), tools)
    return problems


def _call_count(value: str) -> int:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return 0
    items = parsed if isinstance(parsed, list) else [parsed]
    ok = all(
        isinstance(call, dict)
        and isinstance(call.get("name"), str)
        and isinstance(call.get("arguments"), dict)
        for call in items
    )
    return len(items) if ok and items else 0


def _is_list_of(value: str, count: int) -> bool:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return False
    return isinstance(parsed, list) and len(parsed) == count


def _text(result: Any) -> str:
    return result if isinstance(result, str) else dumps(result)
