"""OpenAI chat fine-tuning format: one ``{"messages": [...], "tools": [...]}`` per line.

Assistant tool calls keep their ids and JSON-string arguments; each is
answered by a ``tool`` message right after the assistant message.

A line holds only the keys of OpenAI's per-line training example
(``FineTuneChatRequestInput`` of its API spec: ``messages``, ``tools``,
``parallel_tool_calls``, ``functions``); the upload's validator refuses a line
with any other key ("Example N contains an extra ..."), so the trajectory id
goes to the sidecar file instead (``TRACE_FIELDS``).
"""

from __future__ import annotations

from button.data_model.json_types import ChatMessage, ExportRecord, ToolDefinition
from harness.export.clean_conversation import ConversationError, Turn, conversation_of, dumps, unknown_tools

TRACE_FIELDS = False  # no extra keys: the trajectory ids go to a sidecar file
KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


def encode(turns: list[Turn], tools: list[ToolDefinition]) -> ExportRecord:
    messages: list[ChatMessage] = []
    for turn in turns:
        if turn.role != "assistant":
            messages.append({"role": turn.role, "content": turn.text})
            continue
        message: ChatMessage = {"role": "assistant", "content": turn.text or None}
        if turn.calls:
            message["tool_calls"] = [
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": dumps(call.arguments)},
                }
                for call in turn.calls
            ]
        messages.append(message)
        messages += [
            {"role": "tool", "tool_call_id": c.call_id, "content": c.result_text} for c in turn.calls
        ]
    return {"messages": messages, "tools": tools}


def decode(record: ExportRecord) -> list[Turn]:
    return conversation_of(record["messages"])


def tools(record: ExportRecord) -> list[ToolDefinition]:
    found: list[ToolDefinition] = record.get("tools", [])
    return found


def check(record: ExportRecord) -> list[str]:
    """Problems that make the record unfit for OpenAI fine-tuning ("kind: detail")."""
    messages, tools = record.get("messages"), record.get("tools", [])  # a record may offer no tools
    if not isinstance(messages, list) or not isinstance(tools, list):
        return ["bad record: messages and tools must be lists"]
    if extra := sorted(set(record) - KEYS):
        return [f"bad record: keys OpenAI does not accept: {', '.join(extra)}"]
    problems = []
    roles = [m.get("role") for m in messages if isinstance(m, dict)]
    if "system" in roles[1:]:
        problems.append("turn order: a system message after the first message")
    try:
        turns = conversation_of(messages)
    except ConversationError as error:
        return [*problems, str(error)]
    if len(turns) != len([r for r in roles if r != "tool"]):
        problems.append("turn order: messages after the last assistant answer")
    problems += unknown_tools(turns, tools)
    return problems
