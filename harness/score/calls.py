"""The tool calls an assistant actually made in a trajectory, with their results.

A call is read from an assistant message's ``tool_calls``; its answer is the
``content`` of the tool message that answers its id. The answer is

- an *error* (``failed=True``, ``result=None``) when the tool message is
  recorded with an error, is missing, or is a JSON object whose only key is
  ``error``;
- a JSON *result* when it parses as JSON;
- else *plain text* (``plain=True``, ``result=None``, the text in ``text``):
  a value the text contains still counts as taken from it.

A call whose arguments are not a JSON object keeps ``arguments=None``; one
whose arguments give a key twice is invalid (which value was meant is unknown). Each
call is checked against the ``parameters`` of the tool offered under its name:
``problem`` says why it is invalid (``invented`` when no such tool was offered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from button.data_model.json_types import JsonSchema, ToolArguments
from button.data_model.task import Task
from button.data_model.trajectory import Trajectory
from button.validation import json_keys
from button.validation.schemas import first_error
from harness.score.text import message_text, parse_json_text

__all__ = [
    "ActualCall",
    "actual_calls",
    "assistant_turns",
    "message_text",
    "offered_tools",
    "parse_json_text",
]

NOT_OFFERED = "no such tool was offered"


@dataclass(frozen=True)
class ActualCall:
    index: int  # position among all calls of the trajectory
    turn: int  # index of the assistant message that issued it
    call_id: str
    name: str
    raw_arguments: str
    arguments: ToolArguments | None
    result: Any  # the JSON result; None for an error or plain text
    failed: bool  # answered with an error, or not answered
    text: str = ""  # the answer as text
    plain: bool = False  # answered with text that is not JSON
    problem: str | None = None  # why the arguments are invalid against the tool's parameters
    invented: bool = False  # no tool of this name was offered

    @property
    def answered(self) -> bool:
        """Answered with a result (JSON or plain text), not an error."""
        return not self.failed

    @property
    def valid(self) -> bool:
        return self.problem is None


def offered_tools(trajectory: Trajectory, task: Task | None = None) -> dict[str, JsonSchema]:
    """Tool name -> ``parameters``, as offered in the trajectory (else the task's functions)."""
    offered = {
        tool["function"]["name"]: tool["function"].get("parameters") or {}
        for tool in trajectory.tools
        if isinstance(tool.get("function"), dict) and "name" in tool["function"]
    }
    if not offered and task is not None:
        offered = {spec.name: spec.function.parameters for spec in task.functions}
    return offered


def actual_calls(trajectory: Trajectory, task: Task | None = None) -> list[ActualCall]:
    """Every tool call of the trajectory, in the order it was issued."""
    offered = offered_tools(trajectory, task)
    answers: dict[str, tuple[str, bool]] = {}
    for position, message in enumerate(trajectory.messages):
        if message.get("role") == "tool" and isinstance(message.get("tool_call_id"), str):
            error = position < len(trajectory.meta) and trajectory.meta[position].error is not None
            answers.setdefault(message["tool_call_id"], (message_text(message.get("content")), error))
    calls: list[ActualCall] = []
    for turn, message in enumerate(trajectory.messages):
        if message.get("role") != "assistant":
            continue
        for tool_call in message.get("tool_calls") or []:
            function = tool_call.get("function") or {}
            raw = function.get("arguments")
            raw_text = raw if isinstance(raw, str) else json.dumps(raw)
            call_id = str(tool_call.get("id", ""))
            name = str(function.get("name", ""))
            content, error = answers.get(call_id, ("", True))
            decoded = None if error else parse_json_text(content)
            failed = error or _is_error_object(decoded)
            plain = not failed and decoded is None and bool(content.strip())
            arguments, ambiguous = _object(raw_text)
            calls.append(
                ActualCall(
                    index=len(calls),
                    turn=turn,
                    call_id=call_id,
                    name=name,
                    raw_arguments=raw_text,
                    arguments=arguments,
                    result=None if failed else decoded,
                    failed=failed or (decoded is None and not plain),
                    text=content,
                    plain=plain,
                    problem=ambiguous or _problem(offered.get(name), arguments, bool(offered)),
                    invented=bool(offered) and name not in offered,
                )
            )
    return calls


def _problem(parameters: JsonSchema | None, arguments: ToolArguments | None, known: bool) -> str | None:
    if parameters is None:
        return NOT_OFFERED if known else None
    if arguments is None:
        return "arguments are not a JSON object"
    error = first_error(parameters, arguments)
    return f"{error[0] or '(arguments)'}: {error[1]}" if error else None


def _is_error_object(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def assistant_turns(trajectory: Trajectory) -> int:
    return sum(1 for message in trajectory.messages if message.get("role") == "assistant")


def _object(text: str) -> tuple[ToolArguments | None, str | None]:
    """The arguments as an object (else None), and a key they give twice (the call is then invalid)."""
    try:
        value, repeat = json_keys.decode(text)
    except ValueError:
        return None, None
    if not isinstance(value, dict):
        return None, None
    return value, f"(arguments): {repeat}" if repeat is not None else None
