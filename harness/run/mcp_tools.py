"""The assistant's tools, over MCP: any server, by URL or by command.

``ToolSource`` says where a conversation's tools live. ``{task_id}`` and
``{episode_id}`` in a URL or command are filled in per conversation, so one
flag can address a server per task (``/tasks/{task_id}/mcp``) or a fresh
world per conversation. A command is started once per conversation (over
stdio one process is one episode). Every call carries
``_meta: {"episode_id": ...}`` so servers that keep per-episode state (ours)
keep each conversation's world apart.

``check_tools`` says, before the first conversation, which of the tasks'
functions a server lacks. ``ToolConnections`` opens each conversation's session. ``ToolSession`` offers the server's ``list_tools`` as OpenAI tools and runs the
tool calls of one assistant message concurrently, answering each in call
order. A call the server cannot take (bad JSON arguments, an unknown tool, a
tool error, a result that breaks the tool's output schema) becomes an error
result, not an exception; a server that fails or goes away is a
``ToolServerError``. Every content block is kept in the tool message: text as
it is, an image, audio or resource block named by type, MIME type and size.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from argparse import ArgumentTypeError
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastmcp import Client
from fastmcp.client.transports import ClientTransport, StdioTransport, StreamableHttpTransport
from mcp import types as mcp_types
from pydantic import ValidationError

from button.cli.arg_types import command_line
from button.data_model.json_types import ChatMessage, McpMeta, ToolArguments, ToolCall, ToolDefinition
from button.data_model.task import Task
from button.data_model.tool_meta import ToolResultMeta
from button.data_model.trajectory import Usage
from button.errors import ConfigError, ToolServerError, clip
from button.validation import json_keys

CALL_TIMEOUT_S = 600.0
PROBE_TIMEOUT_S = 10.0
ERROR_TEXT_LIMIT = 2000  # characters of a tool error kept in a message's meta (its content keeps it whole)


@dataclass(frozen=True)
class ToolSource:
    """An MCP server given by URL (streamable HTTP) or by command (stdio)."""

    url: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.command is None):
            raise ConfigError(
                "give exactly one of an MCP URL and an MCP command", where="--mcp-url/--mcp-command"
            )
        if self.command is not None:
            try:
                command_line(self.command)
            except ArgumentTypeError as error:
                raise ConfigError(str(error), where="--mcp-command") from None

    def describe(self) -> str:
        return self.url if self.url is not None else f"stdio: {self.command}"

    @property
    def shareable(self) -> bool:
        """Conversations may share one connection: a URL that does not name the episode."""
        return self.url is not None and "{episode_id}" not in self.url

    def resolved(self, task_id: str, episode_id: str) -> str:
        """The URL or command with the task and episode filled in."""
        if self.url is not None:
            return self.resolved_url(task_id, episode_id)
        return shlex.join(self._words(task_id, episode_id))

    def _words(self, task_id: str, episode_id: str) -> list[str]:
        assert self.command is not None
        return [
            w.replace("{task_id}", task_id).replace("{episode_id}", episode_id)
            for w in shlex.split(self.command)
        ]

    def resolved_url(self, task_id: str, episode_id: str = "") -> str:
        assert self.url is not None
        return self.url.replace("{task_id}", quote(task_id, safe="")).replace(
            "{episode_id}", quote(episode_id, safe="")
        )

    def transport(self, task_id: str, episode_id: str, log_file: Path | None = None) -> ClientTransport:
        if self.url is not None:
            return StreamableHttpTransport(self.resolved_url(task_id, episode_id))
        words = self._words(task_id, episode_id)
        return StdioTransport(words[0], words[1:], env=dict(os.environ), keep_alive=False, log_file=log_file)


@dataclass
class ToolOutcome:
    """The tool message answering one call, and what it cost."""

    message: ChatMessage
    latency_s: float = 0.0
    usage: Usage | None = None
    model: str | None = None  # the tool simulator's model, when the server says
    error: str | None = None


class ToolSession:
    """One conversation's connection to its tool server."""

    def __init__(self, client: Client[Any], tools: list[mcp_types.Tool], episode_id: str, where: str) -> None:
        self.client = client
        self.episode_id = episode_id
        self.where = where
        self.tools = [openai_tool(tool) for tool in tools]
        self.names = {tool.name for tool in tools}
        self.with_output_schema = {tool.name for tool in tools if tool.output_schema is not None}

    async def call_all(self, calls: list[ToolCall]) -> list[ToolOutcome]:
        """Answers to the calls of one assistant message, run concurrently, in call order."""
        return list(await asyncio.gather(*(self.call(call) for call in calls)))

    async def call(self, call: ToolCall) -> ToolOutcome:
        name = call["function"]["name"]
        started = time.monotonic()
        arguments, problem = self._parse_call(call)
        if problem is not None:
            return _error(call, problem, started)
        try:
            result = await self.client.call_tool_mcp(
                name, arguments, timeout=CALL_TIMEOUT_S, meta={"episode_id": self.episode_id}
            )
        except RuntimeError as error:
            if name in self.with_output_schema and await self._server_answers():
                return _error(call, f"the result breaks the tool's output schema: {error}", started)
            raise ToolServerError(f"call of {name!r} failed: {_describe(error)}", where=self.where) from error
        except Exception as error:  # a foreign transport or protocol failure: map it here
            raise ToolServerError(f"call of {name!r} failed: {_describe(error)}", where=self.where) from error
        text = _result_text(result)
        usage, model = _simulator_cost(result.meta, self.where)
        return ToolOutcome(
            message=_tool_message(call, text),
            latency_s=time.monotonic() - started,
            usage=usage,
            model=model,
            error=clip(text, ERROR_TEXT_LIMIT) if result.is_error else None,  # the text itself is in content
        )

    async def _server_answers(self) -> bool:
        """Whether the server still answers (a ``list_tools``, which every server supports).

        The mcp client checks a result against the tool's output schema and
        raises a plain ``RuntimeError`` when it does not match, the same type it
        raises when the connection is gone. A tool without an output schema can
        never fail that check; for one with a schema, a server that still
        answers means the failure was this call's result, not the server.
        """
        try:
            await asyncio.wait_for(self.client.list_tools(), PROBE_TIMEOUT_S)
        except Exception:  # any failure to answer is the answer
            return False
        return True

    def _parse_call(self, call: ToolCall) -> tuple[ToolArguments, str | None]:
        """(the call's arguments, None), or ({}, why the call cannot be made)."""
        name = call["function"]["name"]
        if name not in self.names:
            return {}, f"unknown tool {name!r}; the tools are: {', '.join(sorted(self.names))}"
        raw = call["function"].get("arguments") or "{}"
        try:
            arguments, repeat = json_keys.decode(raw)
        except json.JSONDecodeError as error:
            return {}, f"the arguments of {name!r} are not valid JSON: {error.msg} at column {error.colno}"
        if not isinstance(arguments, dict):
            return {}, f"the arguments of {name!r} must be a JSON object"
        if repeat is not None:  # which value was meant is unknown: the call is not made
            return {}, f"the arguments of {name!r} are ambiguous: {repeat}"
        return arguments, None


CHECK_EPISODE = "button-tools-check"  # the episode a URL or command is filled with for the check


async def missing_functions(source: ToolSource, tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Each task's functions that the server lacks (tasks lacking none are left out).

    The server's tools are listed once per distinct URL or command, with
    ``{task_id}`` filled per task and ``{episode_id}`` as ``CHECK_EPISODE``.
    """
    listed: dict[str, set[str]] = {}
    missing: dict[str, list[str]] = {}
    for task in tasks:
        target = source.resolved(task.id, CHECK_EPISODE)
        if target not in listed:
            async with AsyncExitStack() as stack:
                _, tools = await _connect(
                    stack, source.transport(task.id, CHECK_EPISODE), f"MCP server {source.describe()}"
                )
            listed[target] = {tool.name for tool in tools}
        lacking = [spec.name for spec in task.functions if spec.name not in listed[target]]
        if lacking:
            missing[task.id] = lacking
    return missing


async def check_tools(
    source: ToolSource, tasks: Sequence[Task], *, allow_missing: bool
) -> dict[str, list[str]]:
    """``missing_functions``, an error naming them unless ``allow_missing``."""
    missing = await missing_functions(source, tasks)
    if missing and not allow_missing:
        raise ConfigError(
            f"lacks {describe_missing(missing)} (--allow-missing-tools runs anyway)",
            where=f"MCP server {source.describe()}",
        )
    return missing


def describe_missing(missing: dict[str, list[str]]) -> str:
    return "; ".join(f"{task_id}'s {', '.join(names)}" for task_id, names in missing.items())


class ToolConnections:
    """Opens each conversation's tool session; one shared connection per URL.

    Conversations on the same URL share a connection and its tool list (each
    call names its episode in ``_meta``), which saves a connect, a handshake
    and a ``list_tools`` per conversation. A URL with ``{episode_id}`` and a
    command get a connection of their own per conversation.
    """

    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self._shared: dict[str, tuple[Client[Any], list[mcp_types.Tool]]] = {}
        self._lock = asyncio.Lock()
        self._stack = AsyncExitStack()

    @asynccontextmanager
    async def session(self, source: ToolSource, task_id: str, episode_id: str) -> AsyncIterator[ToolSession]:
        where = f"MCP server {source.describe()}"
        if not source.shareable:
            stack = AsyncExitStack()
            client, tools = await _connect(stack, source.transport(task_id, episode_id, self.log_file), where)
            try:
                yield ToolSession(client, tools, episode_id, where)
            finally:
                await _close(stack, where)
            return
        url = source.resolved_url(task_id)
        async with self._lock:
            if url not in self._shared:
                self._shared[url] = await _connect(self._stack, source.transport(task_id, episode_id), where)
        client, tools = self._shared[url]
        yield ToolSession(client, tools, episode_id, where)

    async def __aenter__(self) -> ToolConnections:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await _close(self._stack, "MCP servers")


async def _connect(
    stack: AsyncExitStack, transport: ClientTransport, where: str
) -> tuple[Client[Any], list[mcp_types.Tool]]:
    """A connected client (closed with ``stack``) and its server's tools."""
    inner = AsyncExitStack()
    try:
        client = await inner.enter_async_context(Client(transport))
        tools = await client.list_tools()
    except Exception as error:  # a foreign connection failure: map it here
        with suppress(Exception):
            await inner.aclose()
        raise ToolServerError(f"cannot connect or list tools: {_describe(error)}", where=where) from error
    stack.push_async_callback(inner.aclose)
    return client, tools


async def _close(stack: AsyncExitStack, where: str) -> None:
    try:
        await stack.aclose()
    except Exception as error:  # a foreign failure while disconnecting: map it here
        raise ToolServerError(f"disconnecting failed: {_describe(error)}", where=where) from error


def openai_tool(tool: mcp_types.Tool) -> ToolDefinition:
    """An MCP tool as an OpenAI function tool."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description or "",
            "parameters": tool.input_schema or {"type": "object", "properties": {}},
        },
    }


def _result_text(result: mcp_types.CallToolResult) -> str:
    """The result as a tool message's text: every content block in order, else the structured content."""
    parts = [block_text(block) for block in result.content]
    if parts:
        return "\n".join(parts)
    if result.structured_content is not None:
        return json.dumps(result.structured_content)
    return ""


def block_text(block: mcp_types.ContentBlock) -> str:
    """A content block as text: text as it is; any other block named by type, MIME type and size."""
    if isinstance(block, mcp_types.TextContent):
        return block.text
    if isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
        return f"[{block.type} {block.mime_type}, {_base64_size(block.data)} bytes]"
    if isinstance(block, mcp_types.EmbeddedResource):
        inner = block.resource
        mime = f" {inner.mime_type}" if inner.mime_type else ""
        if isinstance(inner, mcp_types.TextResourceContents):
            return f"[resource {inner.uri}{mime}, {len(inner.text)} characters]\n{inner.text}"
        return f"[resource {inner.uri}{mime}, {_base64_size(inner.blob)} bytes]"
    if isinstance(block, mcp_types.ResourceLink):
        size = f", {block.size} bytes" if block.size is not None else ""
        mime = f" {block.mime_type}" if block.mime_type else ""
        return f"[resource_link {block.uri}{mime}{size}: {block.name}]"
    return f"[{getattr(block, 'type', type(block).__name__)} content]"


def _base64_size(data: str) -> int:
    """The number of bytes base64 ``data`` decodes to."""
    return len(data) * 3 // 4 - data[-2:].count("=")


_warned_meta: set[str] = set()  # servers already warned about: one warning each, not one per call


def _simulator_cost(meta: McpMeta | None, where: str) -> tuple[Usage | None, str | None]:
    """The tool simulator's token usage and model that ``button serve`` puts in a result's ``_meta``.

    Another server's ``_meta["button"]`` that is not ours is passed over with a warning."""
    try:
        found = ToolResultMeta.of_result(meta)
    except ValidationError as error:
        if where not in _warned_meta:
            _warned_meta.add(where)
            first = error.errors()[0]
            field = ".".join(map(str, first["loc"])) or "(value)"
            print(
                f"warning: {where}: a tool result's _meta.button.{field}: {first['msg']}; "
                "its tokens are not counted",
                file=sys.stderr,
                flush=True,
            )
        return None, None
    return (found.usage, found.model) if found is not None else (None, None)


def _tool_message(call: ToolCall, content: str) -> ChatMessage:
    return {"role": "tool", "tool_call_id": call["id"], "content": content}


def _error(call: ToolCall, problem: str, started: float) -> ToolOutcome:
    return ToolOutcome(
        message=_tool_message(call, f"error: {problem}"), latency_s=time.monotonic() - started, error=problem
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
