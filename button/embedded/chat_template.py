"""A chat request rendered into a prompt by the model's own chat template (stored in its GGUF file).

The template is the one the model was trained with, so tools, tool calls and
tool results reach the model in the form it knows. We render it ourselves,
with HTML autoescaping off (llama-cpp-python's handlers turned ``"`` into
``&#34;``), after normalising what OpenAI clients send and templates do not
expect:

- ``content: null`` (an assistant turn that only calls tools) becomes ``""``,
  and a list of content parts becomes its text;
- tool-call ``arguments`` sent as JSON text become objects, as templates
  write them with ``tojson`` (a string would be quoted twice).

A template that never mentions ``tools`` (SmolLM2's) gets the tool list in a
system message, and one that never mentions ``tool_calls`` gets the assistant's
calls written into its content, both in the ``<tool_call>`` convention of
``tool_call_text``.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from button.data_model.json_types import ChatMessage, ToolCall, ToolDefinition
from button.embedded.tool_call_text import CLOSE, OPEN


def render_prompt(
    template: str,
    messages: list[ChatMessage],
    tools: list[ToolDefinition] | None,
    *,
    bos_token: str,
    eos_token: str,
) -> str:
    """The prompt for ``messages`` (and ``tools``), ending where the assistant's reply starts."""
    prepared = [_prepared(message, calls_as_text="tool_calls" not in template) for message in messages]
    if tools and "tools" not in template:
        prepared = _with_tool_list(prepared, tools)
        tools = None
    return _compiled(template).render(
        messages=prepared,
        tools=tools or None,
        add_generation_prompt=True,
        bos_token=bos_token,
        eos_token=eos_token,
        raise_exception=_raise,
        strftime_now=lambda fmt: datetime.now().strftime(fmt),
    )


def content_text(content: Any) -> str:
    """A message's content as text: ``None`` is empty, a list of parts is their text joined."""
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def tool_list_text(tools: list[ToolDefinition]) -> str:
    """Instructions listing ``tools`` for a template that has no place for them."""
    lines = [
        "You can call functions. Their signatures, one JSON object a line:",
        *(json.dumps(tool.get("function", tool), ensure_ascii=False) for tool in tools),
        f"To call a function, answer with {OPEN}"
        + '{"name": "<function name>", "arguments": {<arguments as JSON>}}'
        + f"{CLOSE}, one block per call.",
    ]
    return "\n".join(lines)


def _prepared(message: ChatMessage, *, calls_as_text: bool) -> ChatMessage:
    prepared = dict(message)
    prepared["content"] = content_text(message.get("content"))
    calls = [_call_with_object_arguments(call) for call in message.get("tool_calls") or []]
    if calls and calls_as_text:  # the template would drop them: the model must see what it called
        written = (OPEN + _tojson(call["function"]) + CLOSE for call in calls)
        prepared["content"] = "\n".join([prepared["content"], *written]).strip()
        del prepared["tool_calls"]
    elif calls:
        prepared["tool_calls"] = calls
    return prepared


def _call_with_object_arguments(call: ToolCall) -> ToolCall:
    function = dict(call.get("function") or {})
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        with suppress(ValueError):  # else shown as the text the model wrote
            function["arguments"] = json.loads(arguments, strict=False)
    return {**call, "function": function}


def _with_tool_list(messages: list[ChatMessage], tools: list[ToolDefinition]) -> list[ChatMessage]:
    listing = tool_list_text(tools)
    if messages and messages[0].get("role") == "system":
        first = dict(messages[0])
        first["content"] = f"{first['content']}\n\n{listing}"
        return [first, *messages[1:]]
    return [{"role": "system", "content": listing}, *messages]


def _raise(message: str) -> None:
    raise ValueError(f"the model's chat template refused the request: {message}")


def _tojson(value: Any, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


@lru_cache(maxsize=4)
def _compiled(template: str) -> jinja2.Template:
    environment = ImmutableSandboxedEnvironment(
        autoescape=False, trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    environment.filters["tojson"] = _tojson
    return environment.from_string(template)
