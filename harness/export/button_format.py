"""The BUTTONInstruct format: tools in the system prompt, calls and answers in tags.

As published with the paper (github.com/PKU-Baichuan-MLSystemLab/BUTTON, "Data
Format"): ``{"messages": [...]}`` with roles system, user, assistant and tool,
every content a string:

- the system prompt (``prompts/export_button_system.md``) lists the tools as
  a JSON list inside ``<tool>...</tool>``; a system message of the trajectory
  follows it;
- an assistant turn that calls tools is ``<call>[{"name", "arguments"}, ...]</call>``
  (several calls in one list run in parallel), after any text it had;
- the tool turn that follows is a JSON list of ``{"name", "arguments", "results"}``;
- only the final answer is wrapped, ``<final>...</final>``, and it ends the
  record. The final answer is the first assistant reply without calls after the
  last turn with calls (the last reply, if no turn has calls); the closing
  exchange after it ("Thanks!" / "Glad to help!") is left out.
- a question to the user (any assistant reply before the final answer, such as
  a clarifying question) stays plain text with no tag, and the user's message
  follows it. The published format has no tag for it: it is neither a call nor
  a final answer.

The format has no room for other keys, so records carry no trajectory id:
``button export`` writes the ids to a sidecar file (``TRACE_FIELDS``).

Records are read (``check``, ``decode``, ``tools``; ``button import``) as the
published data set writes them, not only as we do: the tool list may be
JSON objects one after another rather than one list, an answer may have text
(the model's thought) before ``<final>``, and a tool turn's items need only
``results`` and the call's name. The text of the system prompt after our own
tool-listing prompt is read back as the conversation's system message.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from button.data_model.json_types import ExportRecord, ToolDefinition
from harness.export.clean_conversation import ExportedCall, Turn, dumps, unknown_tools

SYSTEM = string.Template(
    (Path(__file__).parent / "prompts" / "export_button_system.md").read_text(encoding="utf-8").strip()
)
TOOLS = re.compile(r"<tool>(.*?)</tool>", re.DOTALL)
CALL = re.compile(r"^(.*?)<call>(.*)</call>\s*$", re.DOTALL)
FINAL = re.compile(r"^(.*?)<final>(.*)</final>\s*$", re.DOTALL)
TRACE_FIELDS = False  # the published record is {"messages": [...]} only


def final_turn(turns: list[Turn]) -> int | None:
    """Index of the final answer: the first reply without calls after the last turn with calls."""
    replies = [i for i, turn in enumerate(turns) if turn.role == "assistant"]
    last_calls = max((i for i in replies if turns[i].calls), default=-1)
    after = [i for i in replies if i > last_calls and not turns[i].calls]
    if not after:
        return None
    return after[0] if last_calls >= 0 else after[-1]


def system_prompt(tools: list[ToolDefinition], system_texts: list[str]) -> str:
    """The system prompt listing ``tools`` (OpenAI tools or bare functions), then the texts given."""
    functions = [tool.get("function", tool) for tool in tools]
    return "\n\n".join([SYSTEM.substitute(tools=dumps(functions)), *system_texts])


def tools(record: ExportRecord) -> list[ToolDefinition]:
    """The function definitions listed in a checked record's system prompt."""
    return _tool_list(record["messages"][0]["content"]) or []


def _tool_list(prompt: str) -> list[ToolDefinition] | None:
    """The objects inside ``<tool>...</tool>``: one JSON list, or objects one after another."""
    block = TOOLS.search(prompt)
    if block is None:
        return None
    text, position, found = block.group(1), 0, []
    decoder = json.JSONDecoder()
    while (position := _skip_separators(text, position)) < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError:
            return None
        found += value if isinstance(value, list) else [value]
    return found if all(isinstance(item, dict) for item in found) else None


def _skip_separators(text: str, position: int) -> int:
    while position < len(text) and (text[position].isspace() or text[position] == ","):
        position += 1
    return position


def tool_turn(results: list[tuple[str, Any, Any]]) -> str:
    """The tool turn answering a ``<call>``: (name, arguments, result) of each call, in call order."""
    return dumps(
        [{"name": name, "arguments": arguments, "results": result} for name, arguments, result in results]
    )


def encode(turns: list[Turn], tools: list[ToolDefinition]) -> ExportRecord:
    system = system_prompt(tools, [t.text for t in turns if t.role == "system"])
    messages = [{"role": "system", "content": system}]
    final = final_turn(turns)
    for position, turn in enumerate(turns[: None if final is None else final + 1]):
        if turn.role == "user":
            messages.append({"role": "user", "content": turn.text})
        elif turn.role == "assistant" and not turn.calls:
            text = f"<final>{turn.text}</final>" if position == final else turn.text
            messages.append({"role": "assistant", "content": text})
        elif turn.role == "assistant":
            calls = dumps([{"name": call.name, "arguments": call.arguments} for call in turn.calls])
            lead = f"{turn.text}\n" if turn.text else ""
            messages.append({"role": "assistant", "content": f"{lead}<call>{calls}</call>"})
            results = [(call.name, call.arguments, call.result) for call in turn.calls]
            messages.append({"role": "tool", "content": tool_turn(results)})
    return {"messages": messages}


def decode(record: ExportRecord) -> list[Turn]:
    """Turns of a record that passed ``check``; calls get ids call_1, call_2, ..."""
    prompt = record["messages"][0]["content"]
    ours = system_prompt(tools(record), [])
    own_text = prompt[len(ours) + 2 :] if prompt.startswith(ours + "\n\n") else ""
    turns: list[Turn] = [Turn(role="system", text=own_text)] if own_text else []
    number = 0
    for message in record["messages"][1:]:
        role, content = message["role"], message["content"]
        if role == "user":
            turns.append(Turn(role="user", text=content))
        elif role == "assistant" and (final := FINAL.match(content)):
            turns.append(Turn(role="assistant", text=final.group(2).strip()))
        elif role == "assistant" and (call := CALL.match(content)):
            calls: list[ExportedCall] = []
            for item in json.loads(call.group(2)):
                number += 1
                calls.append(ExportedCall(f"call_{number}", item["name"], item["arguments"], result_text=""))
            turns.append(Turn(role="assistant", text=call.group(1).strip(), calls=calls))
        elif role == "assistant":
            turns.append(Turn(role="assistant", text=content))  # a question to the user
        elif role == "tool":
            for tool_call, item in zip(turns[-1].calls, json.loads(content), strict=True):
                result = item["results"]
                tool_call.result_text = result if isinstance(result, str) else dumps(result)
    return turns


def check(record: ExportRecord) -> list[str]:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["bad record: messages must be a non-empty list"]
    if not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        return ["bad record: every message needs a string content"]
    if messages[0].get("role") != "system":
        return ["turn order: the first message must be the system prompt"]
    offered = _tool_list(messages[0]["content"])
    if offered is None:
        return ["bad system prompt: no JSON list of tools inside <tool>...</tool>"]
    problems: list[str] = []
    previous = "system"
    pending: list[Any] | None = None
    last = len(messages) - 1
    for position, message in enumerate(messages[1:], start=1):
        role, content = message.get("role"), message["content"]
        user_may_speak = previous in ("system", "assistant") and pending is None
        if role == "user" and user_may_speak:
            previous = "user"
            continue
        if role == "assistant" and previous in ("user", "tool"):
            call = CALL.match(content)
            pending = _json(call.group(2)) if call else None
            if call and not _calls_ok(pending):
                problems.append(f"bad call: message {position} needs a list of name/arguments objects")
            elif FINAL.match(content) and position != last:
                problems.append(f"turn order: a <final> answer before the end at message {position}")
            elif not call and not FINAL.match(content) and _role(messages, position + 1) != "user":
                problems.append(
                    f"bad assistant message: message {position} is neither <call> nor <final> "
                    "nor a question the user answers"
                )
        elif role == "tool" and pending is not None:
            if not _answers(_json(content), pending):
                problems.append(f"bad tool turn: message {position} does not answer the calls before it")
            pending = None
        else:
            problems.append(f"turn order: {role!r} after {previous!r} at message {position}")
        previous = str(role)
    if previous != "assistant" or not FINAL.match(messages[-1]["content"]):
        problems.append("turn order: the record must end with a <final> answer")
    if not problems:
        problems += unknown_tools(decode(record), offered)
    return problems


def _role(messages: list[Any], position: int) -> Any:
    return messages[position].get("role") if position < len(messages) else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _calls_ok(calls: Any) -> bool:
    return (
        isinstance(calls, list)
        and bool(calls)
        and all(
            isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("arguments"), dict)
            for c in calls
        )
    )


def _answers(results: Any, calls: list[Any]) -> bool:
    return (
        isinstance(results, list)
        and len(results) == len(calls)
        and all(
            isinstance(r, dict) and "results" in r and r.get("name", c["name"]) == c["name"]
            for r, c in zip(results, calls, strict=False)
        )
    )
