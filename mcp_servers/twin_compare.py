"""``button serve --twin ... --compare N``: how faithful a twin is, tool by tool.

The original server and its twin (built in-process, its results from the tool
simulator) list their tools; each tool's schemas are compared (input schema,
output schema, title, description, annotations). Then each tool is called
``N`` times on both with the same arguments, generated from its input schema
(``mcp_servers.schema_samples``), every twin call in an episode of its own.
Two results agree in shape when both are errors, or both carry the same kinds
of content blocks and the same JSON shape: the keys and value types of their
structured content, or of their text when it is JSON (``"text"`` when it is
not). Values never count: a twin makes up its own.

This calls the original's tools for real: point it at a server whose tools
are safe to call with made-up arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastmcp import Client
from mcp import types as mcp_types

from button.data_model.task import Task
from button.errors import ToolServerError
from button.llm.client import ModelClient
from mcp_servers.imports import original_transport
from mcp_servers.schema_samples import samples
from mcp_servers.task_server import build_server
from simulator.tool_simulator import ToolSimulator

SCHEMA_FIELDS = ("input_schema", "output_schema", "title", "description", "annotations")


@dataclass
class ToolComparison:
    """One tool of the original against its twin."""

    name: str
    schema_differs: list[str] = field(default_factory=list)  # SCHEMA_FIELDS that differ, or ["missing"]
    calls: int = 0
    shapes_agree: int = 0
    original_errors: int = 0
    twin_errors: int = 0
    first_difference: str | None = None  # "ARGS: original SHAPE, twin SHAPE"

    def as_json(self) -> dict[str, Any]:
        return {
            "tool": self.name,
            "schema_agrees": not self.schema_differs,
            "schema_differs": self.schema_differs,
            "calls": self.calls,
            "shapes_agree": self.shapes_agree,
            "original_errors": self.original_errors,
            "twin_errors": self.twin_errors,
            "first_difference": self.first_difference,
        }


async def compare_twin(
    source: str | list[str], twin: Task, model: ModelClient, count: int
) -> list[ToolComparison]:
    """Each of the original's tools compared with the twin's (see the module doc)."""
    where = source if isinstance(source, str) else " ".join(source)
    try:
        async with (
            Client(original_transport(source)) as original,
            Client(build_server(ToolSimulator(twin, model))) as copy,
        ):
            theirs = await original.list_tools()
            ours = {tool.name: tool for tool in await copy.list_tools()}
            return [await _compare_tool(tool, ours.get(tool.name), original, copy, count) for tool in theirs]
    except ToolServerError:
        raise
    except Exception as error:  # the original failing or going away is one error for the user
        raise ToolServerError(f"comparing with the original failed: {error}", where=where) from error


async def _compare_tool(
    tool: mcp_types.Tool, twin: mcp_types.Tool | None, original: Client[Any], copy: Client[Any], count: int
) -> ToolComparison:
    found = ToolComparison(tool.name)
    if twin is None:
        found.schema_differs = ["missing"]
        return found
    found.schema_differs = [name for name in SCHEMA_FIELDS if getattr(tool, name) != getattr(twin, name)]
    for number, arguments in enumerate(samples(tool.input_schema, count)):
        theirs = result_shape(await original.call_tool_mcp(tool.name, arguments))
        ours = result_shape(
            await copy.call_tool_mcp(
                tool.name, arguments, meta={"episode_id": f"compare:{tool.name}:{number}"}
            )
        )
        found.calls += 1
        found.original_errors += theirs == "error"
        found.twin_errors += ours == "error"
        if theirs == ours:
            found.shapes_agree += 1
        elif found.first_difference is None:
            found.first_difference = f"{json.dumps(arguments)}: original {theirs}, twin {ours}"
    return found


def result_shape(result: mcp_types.CallToolResult) -> str:
    """The shape of a result (see the module doc), e.g. ``text {"a":number}`` or ``error``."""
    if result.is_error:
        return "error"
    parts = [block_shape(block) for block in result.content]
    if result.structured_content is not None:
        parts.append(f"structured {json_shape(result.structured_content)}")
    return " + ".join(parts) or "empty"


def block_shape(block: mcp_types.ContentBlock) -> str:
    if isinstance(block, mcp_types.TextContent):
        try:
            return f"text {json_shape(json.loads(block.text))}"
        except ValueError:
            return "text"
    return str(block.type)


def json_shape(value: Any) -> str:
    """Keys and value types of a JSON value, its values left out."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{json_shape(value[key])}" for key in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + (json_shape(value[0]) if value else "") + "]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "string"
