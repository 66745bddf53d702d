"""A trajectory as a clean conversation: the common form every export format encodes.

A conversation is a list of turns: system, user, and assistant turns that
carry text, tool calls with their results, or both. Building it checks what
every training format needs: each tool call has JSON object arguments, a
unique id and exactly one answer before the conversation moves on; no tool
message answers an unknown call; no assistant message is empty. The user's
closing messages after the last assistant turn carry nothing to learn and are
dropped, so a conversation ends with the assistant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from button.data_model.json_types import ChatMessage, ToolArguments, ToolCall, ToolDefinition
from harness.score.calls import message_text, parse_json_text


@dataclass
class ExportedCall:
    """A tool call of a conversation turn, with the text of its answer."""

    call_id: str
    name: str
    arguments: ToolArguments
    result_text: str  # the tool message's content, as sent to the model

    @property
    def result(self) -> Any:
        return result_value(self.result_text)


def result_value(text: str) -> Any:
    """A tool message's content as JSON when it is JSON, else its text (a tool error, plain text)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@dataclass
class Turn:
    role: Literal["system", "user", "assistant"]
    text: str = ""
    calls: list[ExportedCall] = field(default_factory=list)


class ConversationError(ValueError):
    """A trajectory that cannot be training data; the message says why ("kind: detail")."""


def conversation_of(messages: list[ChatMessage]) -> list[Turn]:
    """The turns of OpenAI chat messages; ``ConversationError`` names the main problem.

    A conversation that never reaches a final answer (the usual end of a run
    cut by its turn limit) is reported as such, before any problem on the way.
    """
    turns: list[Turn] = []
    pending: dict[str, ExportedCall] = {}
    seen_ids: set[str] = set()
    problems: list[str] = []
    for position, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            if call_id in pending:
                pending.pop(call_id).result_text = message_text(message.get("content"))
            else:
                problems.append(f"tool answer without a call: message {position} answers {call_id!r}")
            continue
        if pending:
            problems.append(f"tool call not answered: {', '.join(sorted(pending))}")
            pending.clear()
        if role in ("system", "user"):
            turns.append(Turn(role=role, text=message_text(message.get("content"))))
        elif role == "assistant":
            turn = Turn(role="assistant", text=message_text(message.get("content")).strip())
            for raw in message.get("tool_calls") or []:
                try:
                    call = _tool_call(raw, position, seen_ids)
                except ConversationError as error:
                    problems.append(str(error))
                    continue
                turn.calls.append(call)
                pending[call.call_id] = call
            if turn.text or turn.calls:
                turns.append(turn)
            elif not message.get("tool_calls"):
                problems.append(f"empty assistant message: message {position}")
        else:
            problems.append(f"unknown role: {role!r} in message {position}")
    while turns and turns[-1].role == "user":
        turns.pop()
    if not any(turn.role == "user" for turn in turns) or not turns or turns[-1].role != "assistant":
        problems.insert(0, "no assistant reply: the conversation has no user turn answered by the assistant")
    elif turns[-1].calls:
        problems.insert(0, "no final answer: the conversation ends with tool calls and results")
    if pending:
        problems.append(f"tool call not answered: {', '.join(sorted(pending))}")
    if problems:
        raise ConversationError(problems[0])
    return turns


def _tool_call(raw: ToolCall, position: int, seen_ids: set[str]) -> ExportedCall:
    function = raw.get("function") or {}
    call_id = str(raw.get("id") or "")
    if not call_id or call_id in seen_ids:
        raise ConversationError(f"tool call id missing or repeated: {call_id!r} in message {position}")
    seen_ids.add(call_id)
    arguments = function.get("arguments")
    parsed = parse_json_text(arguments) if isinstance(arguments, str) else arguments
    if not isinstance(parsed, dict):
        raise ConversationError(f"arguments not a JSON object: call {call_id!r}")
    return ExportedCall(call_id=call_id, name=str(function.get("name", "")), arguments=parsed, result_text="")


def calls_and_results(turns: list[Turn]) -> list[tuple[str, ToolArguments, Any]]:
    """(name, arguments, result) of every call, in order: what a round trip must keep."""
    return [(call.name, call.arguments, call.result) for turn in turns for call in turn.calls]


def tool_names(tools: list[ToolDefinition]) -> set[str]:
    """Names of OpenAI tool objects or bare function definitions."""
    names = set()
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.add(function["name"])
    return names


def unknown_tools(turns: list[Turn], tools: list[ToolDefinition]) -> list[str]:
    """A problem for each call of a tool that is not among ``tools``."""
    known = tool_names(tools)
    calls = [call for turn in turns for call in turn.calls]
    return [f"call of a tool not offered: {call.name}" for call in calls if call.name not in known]


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (the form every format writes)."""
    return json.dumps(value, ensure_ascii=False)
