"""Names for JSON documents whose shape a foreign spec owns.

A JSON Schema, an OpenAI chat message or tool definition, a chat-completions
request or response: their specs are open (extra keys, versions, vendors'
additions) and we pass them on as they are, into records, to endpoints and to
MCP. Modelling them would mean refusing or dropping what another tool wrote,
so they stay JSON, under a name that says which document a value is and where
it is checked. Each name stands for one kind of document only; a value that
really is arbitrary JSON keeps ``dict[str, Any]``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

JsonSchema: TypeAlias = dict[str, Any]
"""A JSON Schema document (Draft 2020-12): a function's ``parameters`` or
``returns``, a structured-output schema. Checked as a schema, and its ``$ref``s
refused where they could read a file or the network, by
``button.validation.schemas.schema_problem``; values are validated against it
there too (``first_error``, ``all_errors``)."""

ToolArguments: TypeAlias = dict[str, Any]
"""A function call's arguments decoded from their JSON text: parameter name ->
value, or for a plan call a literal or a reference (``button.data_model.plan_refs``).
Validated against the function's ``parameters`` (``simulator.tool_simulator.argument_error``,
``harness.score.calls``); decoded with repeated keys found by ``button.validation.json_keys``."""

ChatMessage: TypeAlias = dict[str, Any]
"""One OpenAI chat-completions message: ``role``, ``content`` and, by role,
``tool_calls``, ``tool_call_id`` or ``name``. Built by the conversation loop
and ``button.llm.client``; a reply is checked as a chat completion by
``button.llm.completion``; messages read from foreign records are checked by
each export format's ``check`` (``harness.export``)."""

ToolCall: TypeAlias = dict[str, Any]
"""One entry of an assistant message's ``tool_calls``: ``id``, ``type``
(``function``) and ``function`` with ``name`` and ``arguments`` (a JSON text).
Its arguments are decoded and checked where a call is made
(``harness.run.mcp_tools``) or scored (``harness.score.calls``)."""

ToolDefinition: TypeAlias = dict[str, Any]
"""One OpenAI tool definition: ``{"type": "function", "function": {"name",
"description", "parameters"}}``, as offered to an assistant and recorded in a
trajectory. Ours are made from ``button.data_model.task.FunctionSpec`` (which
checks them) or from an MCP tool (``harness.run.mcp_tools.openai_tool``)."""

ToolChoice: TypeAlias = str | dict[str, Any]
"""A request's ``tool_choice``: ``"auto"``, ``"none"``, ``"required"`` or a
named function (``{"type": "function", "function": {"name": ...}}``; an
``allowed_tools`` object is turned into one of these by
``button.embedded.request_compat``)."""

ResponseFormat: TypeAlias = dict[str, Any]
"""A request's ``response_format``: ``{"type": "json_schema", "json_schema":
{...}}`` or ``{"type": "json_object"}`` (llama-cpp-python: with a ``schema``).
Built by ``button.llm.structured``, obeyed by ``button.embedded.chat_handler``."""

ChatRequest: TypeAlias = dict[str, Any]
"""A chat-completions request body (``model``, ``messages``, ``tools``,
``response_format``, sampling parameters), or the extra parameters merged
into one. Built by ``button.llm.client`` and
serialized by ``button.llm.completion.request_body``; rewritten for
llama-cpp-python by ``button.embedded.request_compat``."""

ChatResponse: TypeAlias = dict[str, Any]
"""A chat-completions response (or one streamed chunk) as llama-cpp-python's
handlers return it: ``choices`` with a ``message`` (or ``delta``) and
``finish_reason``, and ``usage``. Made by ``button.embedded.chat_handler``;
checked by the client that reads it (``button.llm.completion``)."""

TextCompletion: TypeAlias = dict[str, Any]
"""A text-completions response as llama-cpp-python's ``Llama.create_completion``
returns it (``choices`` with ``text`` and ``finish_reason``, and ``usage``);
``button.embedded.chat_handler`` turns it into a ``ChatResponse``."""

McpMeta: TypeAlias = dict[str, Any]
"""The ``_meta`` object of an MCP request or result: keys namespaced by whoever
set them. Ours is ``_meta["button"]``, a ``button.data_model.tool_meta.ToolResultMeta``,
validated where the harness reads it (``harness.run.mcp_tools``)."""

ExportRecord: TypeAlias = dict[str, Any]
"""One fine-tuning record in an export format (OpenAI chat, ShareGPT,
BUTTON): the line ``button export`` writes and ``button import`` reads.
Checked by the format's own ``check`` (``harness.export.format_protocol``)."""
