"""``button serve --tools FILE``: an OpenAI tools JSON list served over stdio."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from button.errors import TaskFileError
from mcp_servers.imports import tools_from_file
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_no": {"type": "string", "pattern": "^A\\d+$"}},
                "required": ["order_no"],
            },
        },
        "returns": {
            "type": "object",
            "properties": {"order_no": {"type": "string"}, "status": {"type": "string"}},
            "required": ["order_no", "status"],
        },
    },
    {"type": "function", "function": {"name": "ping", "description": "Is it up?"}},
]


def write(tmp_path: Path, tools: object) -> Path:
    path = tmp_path / "shop tools.json"
    path.write_text(json.dumps(tools))
    return path


def test_tools_file_becomes_a_one_task_file(tmp_path: Path) -> None:
    task = tools_from_file(write(tmp_path, TOOLS))
    assert task.id == "shop-tools"
    assert [spec.name for spec in task.functions] == ["lookup_order", "ping"]
    assert task.functions[0].returns == TOOLS[0]["returns"] and task.functions[1].returns is None


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ({"tools": TOOLS}, "expected a non-empty JSON list"),
        ([TOOLS[0], {"type": "function", "function": {"name": "bad name!"}}], "[1].function.name"),
        ([{**TOOLS[0], "returns": {"type": "nonsense"}}], "not a valid JSON Schema"),
    ],
)
def test_bad_tools_file_names_the_entry(tmp_path: Path, tools: object, message: str) -> None:
    with pytest.raises(TaskFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        tools_from_file(write(tmp_path, tools))


async def test_tools_file_is_served_over_stdio(tmp_path: Path) -> None:
    path = write(tmp_path, TOOLS)

    def reply(body: dict[str, Any]) -> Reply:
        is_order = body["messages"][-1]["content"].rsplit("Call: ", 1)[1].startswith("lookup_order")
        return say(json.dumps({"order_no": "A17", "status": "shipped"} if is_order else {"up": True}))

    with ScriptedOpenAI(reply) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        args = ["-m", "button.cli.main", "serve", "--tools", str(path), "--no-cache"]
        async with Client(StdioTransport(sys.executable, args, env=env)) as client:
            tools = {tool.name: tool for tool in await client.list_tools()}
            order = await client.call_tool_mcp("lookup_order", {"order_no": "A17"})
            free = await client.call_tool_mcp("ping", {})
    assert tools["lookup_order"].output_schema == TOOLS[0]["returns"]
    assert tools["ping"].output_schema == {"type": "object"}
    assert order.structured_content == {"order_no": "A17", "status": "shipped"}
    assert free.structured_content == {"up": True}
