"""Functions from elsewhere, as a one-task ``Task`` the simulator can serve.

- ``tools_from_file``: a JSON list of OpenAI tool objects, each optionally with
  ``returns`` (the JSON Schema of its result);
- ``twin_of``: the tool list of an existing MCP server (by URL, or a command
  started over stdio). Only ``tools/list`` is called: the twin is simulated and
  never calls the original's tools. The twin keeps the server's name and
  instructions, each tool's name (a function name has ``_`` for a dot),
  title and annotations (``task.metadata["mcp"]``), and its result shape: a
  tool without ``outputSchema`` answers text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport
from mcp.types import Tool
from pydantic import ValidationError

from button.data_model.task import FunctionSpec, Strategy, Task
from button.errors import InputError, TaskFileError, ToolServerError
from button.validation.task_rules import check_task, json_path

MCP_METADATA = "mcp"  # task.metadata key: what a twin keeps of the original (mcp_servers.tools reads it)


def tools_from_file(path: str | Path) -> Task:
    """A task whose functions are the tool objects in ``path``."""
    path = Path(path)
    try:
        tools = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise TaskFileError("no such file", where=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise TaskFileError(f"cannot read: {error}", where=str(path)) from error
    except json.JSONDecodeError as error:
        raise TaskFileError(f"not JSON: {error.msg}", where=f"{path}:{error.lineno}") from error
    if not isinstance(tools, list) or not tools:
        raise TaskFileError("expected a non-empty JSON list of OpenAI tool objects", where=str(path))
    return _task(_task_id(path.stem), tools, where=str(path))


def original_transport(source: str | list[str]) -> StreamableHttpTransport | StdioTransport:
    """The transport to the MCP server at a URL, or started by a command (its words)."""
    if isinstance(source, str):
        return StreamableHttpTransport(source)
    if not source:
        raise InputError("give the server's command after --twin --", where="--twin")
    return StdioTransport(source[0], source[1:])


async def twin_of(source: str | list[str]) -> Task:
    """A task whose functions are the tools of the MCP server at a URL or started by a command."""
    transport = original_transport(source)
    where = source if isinstance(source, str) else " ".join(source)
    try:
        async with Client(transport) as client:
            listed = await client.list_tools()
            info = client.server_info  # set on every protocol version (initialize_result is legacy only)
            instructions = client.instructions  # either protocol version
    except Exception as error:  # any failure to reach or list the original is one error for the user
        raise ToolServerError(f"cannot list the tools: {error}", where=where) from error
    if not listed:
        raise ToolServerError("the server lists no tools", where=where)
    tools = [twin_function(tool) for tool in listed]
    task = _task(_task_id(f"twin.{info.name if info else 'server'}"), tools, where=where)
    facts: dict[str, Any] = {"tools": {function_name(tool.name): mcp_facts(tool) for tool in listed}}
    if instructions:
        facts["instructions"] = instructions
    return task.model_copy(update={"metadata": {MCP_METADATA: facts}})


def function_name(tool_name: str) -> str:
    """An MCP tool name as a function name OpenAI accepts (dots and other characters as ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", tool_name)[:64]


def twin_function(tool: Tool) -> dict[str, Any]:
    """The function of a twin: the tool's schemas; a result without ``outputSchema`` is text."""
    return {
        "type": "function",
        "function": {
            "name": function_name(tool.name),
            "description": tool.description or "",
            "parameters": tool.input_schema,
        },
        "returns": tool.output_schema,
    }


def mcp_facts(tool: Tool) -> dict[str, Any]:
    """What a twin keeps of a tool beyond its function: name, title, annotations, structured or not."""
    facts: dict[str, Any] = {"name": tool.name, "structured": tool.output_schema is not None}
    if tool.title:
        facts["title"] = tool.title
    if tool.annotations is not None:
        facts["annotations"] = tool.annotations.model_dump(exclude_none=True, by_alias=True)
    return facts


def _task(task_id: str, tools: list[Any], *, where: str) -> Task:
    functions: list[FunctionSpec] = []
    for index, tool in enumerate(tools):
        try:
            functions.append(FunctionSpec.model_validate(tool))
        except ValidationError as error:
            first = error.errors()[0]
            field = json_path([index, *first["loc"]])
            named = _tool_name(tool)
            tool_part = f"tool {named!r} ({field})" if named else field
            raise TaskFileError(f"{tool_part}: {first['msg']}", where=where) from error
    task = Task(
        id=task_id,
        strategy=Strategy.SINGLE,
        scenario="",
        instruction="",
        functions=functions,
    )
    problems = check_task(task)
    if problems:
        field, message = problems[0]
        raise TaskFileError(f"{field}: {message}", where=where)
    return task


def _tool_name(tool: Any) -> str | None:
    function = tool.get("function") if isinstance(tool, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else None


def _task_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "tools"
