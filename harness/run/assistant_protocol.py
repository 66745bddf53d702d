"""How the assistant under test is asked and how its replies are read.

- ``native``: OpenAI tool calling. The tools go in the request's ``tools``,
  calls come back as ``tool_calls``, results go back as ``tool`` messages.
- ``button``: the BUTTONInstruct text format, exactly as ``button export
  --format button`` writes it (``harness.export.button_format``), so a model
  fine-tuned on that export is evaluated in the form it learned. The system
  prompt lists the tools inside ``<tool>...</tool>`` (the run's system prompt,
  if any, follows it); no ``tools`` are sent. A reply's
  ``<call>[{"name", "arguments"}, ...]</call>`` is read into tool calls (text
  before it is the message's content), ``<final>...</final>`` into the answer,
  and any other reply is a question to the user. Each batch of results goes
  back as one ``tool`` message holding the JSON list of ``{"name",
  "arguments", "results"}``.

Whatever the protocol, the trajectory is recorded in OpenAI form, so scoring,
export and replay read it as any other. A text reply's own words are kept in
its ``MessageMeta.raw`` and sent back as the model wrote them. A ``<call>``
that is not a list of ``{"name": str, "arguments": object}`` is not a crash:
each item becomes a call as best it can be read (a missing name is ``""``,
arguments that are not an object are kept as their JSON text), the tool side
answers it with an error result, and the message's meta says what was wrong.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any

from button.data_model.json_types import ChatMessage, ToolCall, ToolDefinition
from button.data_model.trajectory import Trajectory
from harness.export.button_format import system_prompt, tool_turn
from harness.export.clean_conversation import dumps, result_value
from harness.score.text import message_text, parse_json_text

_CALL = re.compile(r"<call>(.*?)(?:</call>|\Z)", re.DOTALL)  # an unclosed tag: the reply was cut
_FINAL = re.compile(r"<final>(.*?)(?:</final>|\Z)", re.DOTALL)


class AssistantProtocol(enum.StrEnum):
    NATIVE = "native"
    BUTTON = "button"


@dataclass(frozen=True)
class Request:
    """What is sent to the assistant's endpoint for its next turn."""

    messages: list[ChatMessage]
    tools: list[ToolDefinition] | None
    tool_choice: str | None


@dataclass(frozen=True)
class Reading:
    """An assistant reply in OpenAI form, its text as written (text protocols), what was wrong."""

    message: ChatMessage
    raw: str | None = None
    problem: str | None = None


def request_for(protocol: AssistantProtocol, trajectory: Trajectory, tool_choice: str) -> Request:
    """The request for the assistant's next turn, from the conversation recorded so far."""
    if protocol is AssistantProtocol.BUTTON:
        return Request(_button_messages(trajectory), tools=None, tool_choice=None)
    messages = [_sendable(message) for message in trajectory.messages]
    return Request(messages, tools=trajectory.tools or None, tool_choice=tool_choice)


def read_reply(protocol: AssistantProtocol, message: ChatMessage, trajectory: Trajectory) -> Reading:
    """The reply as it is recorded: an OpenAI assistant message."""
    if protocol is AssistantProtocol.BUTTON:
        return read_button_reply(
            message_text(message.get("content")), first_call=_calls_so_far(trajectory) + 1
        )
    if not message.get("tool_calls") and message.get("content") is None:
        message["content"] = ""  # an empty turn; "" keeps the history valid to send
    return Reading(message)


def read_button_reply(text: str, first_call: int = 1) -> Reading:
    """A BUTTON-format reply as an OpenAI assistant message; calls numbered from ``first_call``."""
    call = _CALL.search(text)
    if call is not None:
        calls, problem = _calls(call.group(1), first_call)
        lead = text[: call.start()].strip()
        message: ChatMessage = {"role": "assistant", "content": lead or None}
        if calls:
            message["tool_calls"] = calls
        else:
            message["content"] = lead
        return Reading(message, raw=text, problem=problem)
    final = _FINAL.search(text)
    answer = final.group(1) if final is not None else text
    return Reading({"role": "assistant", "content": answer.strip()}, raw=text)


def _calls(body: str, first: int) -> tuple[list[ToolCall], str | None]:
    """The tool calls in a ``<call>`` body, and what was malformed in it (None if nothing)."""
    try:
        items = json.loads(body, strict=False)  # control characters inside strings
    except ValueError as error:
        return [_tool_call(first, _named(body), body.strip())], f"malformed <call>: not JSON: {error}"
    problem = None
    if isinstance(items, dict):
        items = [items]
        problem = "malformed <call>: an object, not a list of calls"
    if not isinstance(items, list):
        return [_tool_call(first, "", dumps(items))], "malformed <call>: not a list of calls"
    if not items:
        return [], "malformed <call>: an empty list of calls"
    calls = []
    for number, item in enumerate(items, start=first):
        name = item.get("name") if isinstance(item, dict) else None
        arguments = item.get("arguments") if isinstance(item, dict) else item
        if not isinstance(name, str) or not isinstance(arguments, dict | str):
            problem = problem or f"malformed <call>: call {number - first + 1} needs a name and arguments"
        text = arguments if isinstance(arguments, str) else dumps(arguments)
        calls.append(_tool_call(number, name if isinstance(name, str) else "", text))
    return calls, problem


def _named(body: str) -> str:
    """The tool a call that is not JSON seems to name, else ``""``."""
    found = re.search(r'"name"\s*:\s*"([^"]*)"', body)
    return found.group(1) if found else ""


def _tool_call(number: int, name: str, arguments: str) -> ToolCall:
    return {"id": f"call_{number}", "type": "function", "function": {"name": name, "arguments": arguments}}


def _calls_so_far(trajectory: Trajectory) -> int:
    return sum(len(message.get("tool_calls") or []) for message in trajectory.messages)


def _button_messages(trajectory: Trajectory) -> list[ChatMessage]:
    """The conversation so far in BUTTON's format (see the module doc)."""
    messages = trajectory.messages
    systems = [message_text(m.get("content")) for m in messages if m.get("role") == "system"]
    sent: list[ChatMessage] = [{"role": "system", "content": system_prompt(trajectory.tools, systems)}]
    calls: dict[str, tuple[str, Any]] = {}  # call id -> (name, arguments as the model gave them)
    results: list[tuple[str, Any, Any]] = []
    for message, meta in zip(messages, trajectory.meta, strict=True):
        role = message.get("role")
        if role == "tool":
            name, arguments = calls.get(str(message.get("tool_call_id")), ("", {}))
            results.append((name, arguments, result_value(message_text(message.get("content")))))
            continue
        if results:
            sent.append({"role": "tool", "content": tool_turn(results)})
            results = []
        if role == "user":
            sent.append({"role": "user", "content": message_text(message.get("content"))})
        elif role == "assistant":
            for call in message.get("tool_calls") or []:
                raw = call["function"]["arguments"]
                parsed = parse_json_text(raw)
                calls[call["id"]] = (call["function"]["name"], parsed if isinstance(parsed, dict) else raw)
            text = meta.raw if meta.raw is not None else message_text(message.get("content"))
            sent.append({"role": "assistant", "content": text})
    if results:
        sent.append({"role": "tool", "content": tool_turn(results)})
    return sent


def _sendable(message: ChatMessage) -> ChatMessage:
    """A recorded message as sent back: ``content: null`` becomes "" (llama.cpp needs a string)."""
    return {**message, "content": ""} if message.get("content", "") is None else message
