"""One MCP tool per task function, answered by the ``ToolSimulator``.

The tool advertises the function's ``parameters`` as its input schema and its
``returns`` as its output schema (a free-form object without one). A result
goes back as structured content and as JSON text; a bad call, a failed
simulation or an unknown tool is an MCP tool error (``isError``), never a
crash.

Every result (errors too) carries what the call cost in ``_meta``
(``button.data_model.tool_meta.ToolResultMeta``)::

    {"button": {"episode_id": "ep-1", "cache_hit": false, "model": "smollm2-135m-instruct",
                "usage": {"prompt_tokens": 412, "completion_tokens": 37, "requests": 1}}}

``cache_hit`` is true (and usage zero) when no model was asked: a cached
result, or an identical earlier call of the same episode.

The episode a call belongs to (README, "Serving tasks over MCP"), whatever
the protocol version, first found wins:

1. the ``episode_id`` key of the request's ``_meta``;
2. the episode segment of the URL (``/episodes/<episode_id>/mcp``, put in the
   ASGI scope by ``mcp_servers.http_app``);
3. the connection the client keeps: its MCP session over HTTP
   (``session:<Mcp-Session-Id>``), its server process over stdio
   (``stdio:<pid>``; a client starts one process per connection).

A sessionless (2026-07-28) request names no session; ``http_app`` answers it
only at episode URLs, so rule 3 never falls through over HTTP; an
in-process client counts as the process. ``DEFAULT_EPISODE`` is left for a
call outside any request.
"""

from __future__ import annotations

import json
import os

from fastmcp.server.dependencies import FastMCPRequestContext, get_context
from fastmcp.tools.base import RawStructuredToolResult, Tool, ToolResult
from mcp.types import ContentBlock, TextContent
from pydantic import ConfigDict, Field

from button.data_model.json_types import McpMeta, ToolArguments
from button.data_model.task import FunctionSpec
from button.data_model.tool_meta import ToolResultMeta
from button.errors import clip
from mcp_servers.repeated_keys import MARK
from simulator.tool_simulator import SimulatedResult, ToolSimulator, result_schema

DEFAULT_EPISODE = "default"
STDIO_EPISODE = f"stdio:{os.getpid()}"
EPISODE_SCOPE_KEY = "button.episode_id"  # ASGI scope key set by the HTTP router
ERROR_TEXT_LIMIT = 2000  # characters of a tool error's text; a longer one is clipped, its size said


class SimulatedTool(Tool):
    """An MCP tool whose results come from the tool simulator."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    simulator: ToolSimulator = Field(exclude=True)
    function: str = Field(exclude=True)  # the task function's name (the tool's may hold dots)
    structured: bool = Field(default=True, exclude=True)  # False: the result is text, as the original's

    @classmethod
    def of(cls, spec: FunctionSpec, simulator: ToolSimulator) -> SimulatedTool:
        """The tool of ``spec``; a twin's keeps the original's name, title, annotations and shape."""
        kept = simulator.task.metadata.get("mcp", {}).get("tools", {}).get(spec.name, {})
        structured = kept.get("structured", True)
        return cls(
            name=kept.get("name", spec.name),
            title=kept.get("title"),
            annotations=kept.get("annotations"),
            description=spec.function.description,
            parameters=spec.function.parameters,
            output_schema=result_schema(spec) if structured else None,
            simulator=simulator,
            function=spec.name,
            structured=structured,
        )

    async def run(self, arguments: ToolArguments) -> ToolResult:
        episode_id = current_episode()
        repeated = request_meta().get(MARK)
        if isinstance(repeated, str):  # which value was meant is unknown: answer as a bad call
            failed = SimulatedResult(error=f"invalid arguments for {self.function}: {repeated}")
            return to_tool_result(failed, self.meta_of(episode_id, failed))
        result = await self.simulator.call(self.function, arguments, episode_id=episode_id)
        meta = self.meta_of(episode_id, result)
        if not self.structured and result.error is None:
            return text_result(result, meta)
        return to_tool_result(result, meta)

    def meta_of(self, episode_id: str, result: SimulatedResult) -> McpMeta:
        """The ``_meta`` of a result: what answering it cost (``ToolResultMeta``)."""
        return ToolResultMeta(
            episode_id=episode_id,
            model=self.simulator.client.model,
            cache_hit=result.cache_hit,
            usage=result.usage,
        ).as_meta()


def to_tool_result(result: SimulatedResult, meta: McpMeta) -> ToolResult:
    """The MCP form of a simulated result, with its cost in ``meta`` (``ToolResultMeta.as_meta``)."""
    if result.error is not None:
        error = TextContent(type="text", text=clip(result.error, ERROR_TEXT_LIMIT))
        return ToolResult(content=[error], is_error=True, meta=meta)
    text: list[ContentBlock] = [TextContent(type="text", text=json.dumps(result.value, ensure_ascii=False))]
    if isinstance(result.value, dict):
        return ToolResult(content=text, structured_content=result.value, meta=meta)
    # fastmcp sends a non-object value as it is, or under "result" to legacy clients
    return RawStructuredToolResult(content=text, structured_content=result.value, meta=meta)


def text_result(result: SimulatedResult, meta: McpMeta) -> ToolResult:
    """A result as text only (a tool without an output schema): a string as it is, else JSON.

    The simulator answers objects, so an object of one string field is that string.
    """
    value = result.value
    if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), str):
        value = next(iter(value.values()))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return ToolResult(content=[TextContent(type="text", text=text)], meta=meta)


def _request_context() -> FastMCPRequestContext | None:
    """The request being handled, or None outside one."""
    try:
        return get_context().request_context
    except RuntimeError:
        return None


def request_meta() -> McpMeta:
    """The ``_meta`` of the request being handled (empty outside one)."""
    request_context = _request_context()
    return dict(request_context.meta or {}) if request_context is not None else {}


def current_episode() -> str:
    """The episode of the request being handled (see the module docstring)."""
    request_context = _request_context()
    if request_context is None:
        return DEFAULT_EPISODE
    meta = request_context.meta or {}
    named = meta.get("episode_id")
    if isinstance(named, str | int) and str(named):
        return str(named)
    request = request_context.request
    if request is None:
        return STDIO_EPISODE
    from_path = request.scope.get(EPISODE_SCOPE_KEY)
    if isinstance(from_path, str):
        return from_path
    session = request.headers.get("mcp-session-id")
    return f"session:{session}" if session else DEFAULT_EPISODE
