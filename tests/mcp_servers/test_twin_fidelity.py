"""A twin keeps what can be kept: dotted names, titles, annotations, instructions, text results."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from mcp_servers.names import server_key
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

ORIGINAL = """\
from fastmcp import FastMCP
from mcp.types import ToolAnnotations

server = FastMCP("notes-original", instructions="Notes live in folders.")

@server.tool(
    name="notes.search", title="Search notes", annotations=ToolAnnotations(readOnlyHint=True), output_schema=None
)
def search(query: str) -> str:
    \"\"\"Find notes.\"\"\"
    return "ORIGINAL"

server.run(transport="stdio", show_banner=False)
"""


def reply(body: dict[str, Any]) -> Reply:
    return say(json.dumps({"text": "two notes mention Oslo"}))


async def test_twin_keeps_names_titles_annotations_instructions_and_text(tmp_path: Path) -> None:
    original = tmp_path / "original.py"
    original.write_text(ORIGINAL)
    async with Client(StdioTransport(sys.executable, [str(original)])) as client:
        expected = {tool.name: tool for tool in await client.list_tools()}
    with ScriptedOpenAI(reply) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        args = ["-m", "button.cli.main", "serve", "--no-cache", "--twin", "--", sys.executable, str(original)]
        async with Client(StdioTransport(sys.executable, args, env=env)) as twin:
            tools = {tool.name: tool for tool in await twin.list_tools()}
            result = await twin.call_tool_mcp("notes.search", {"query": "Oslo"})
            info, instructions = twin.server_info, twin.instructions
    assert set(tools) == set(expected) == {"notes.search"}
    kept, source = tools["notes.search"], expected["notes.search"]
    assert (kept.title, kept.annotations, kept.description) == (
        source.title,
        source.annotations,
        source.description,
    )
    assert kept.input_schema == source.input_schema and kept.output_schema is None is source.output_schema
    assert not result.is_error and result.structured_content is None
    assert [block.text for block in result.content] == ["two notes mention Oslo"]
    assert info is not None and info.name == server_key("twin.notes-original")
    assert instructions == "Notes live in folders."
