"""A small real MCP server with deterministic tools, for the harness tests.

Run over stdio (``python tools_server.py``) or over streamable HTTP
(``python tools_server.py --http PORT``). Each tool result carries the
episode id the call's ``_meta`` named and a fake tool-simulator usage in the
result's ``_meta`` (``ToolResultMeta``, as ``button serve`` writes it), so tests can check both.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools import ToolResult

from button.data_model.tool_meta import ToolResultMeta
from button.data_model.trajectory import Usage

server = FastMCP("harness-test-tools")
USAGE = Usage(prompt_tokens=10, completion_tokens=5, requests=1)


def _episode(ctx: Context) -> str | None:
    request = ctx.request_context
    meta = request.meta if request is not None else None
    return (meta or {}).get("episode_id")


def _result(value: dict[str, Any]) -> ToolResult:
    episode = str(value.get("episode_id") or "none")
    meta = ToolResultMeta(episode_id=episode, model="scripted", cache_hit=False, usage=USAGE)
    return ToolResult(structured_content=value, meta=meta.as_meta())


@server.tool
async def get_weather(city: str, ctx: Context) -> ToolResult:
    """Current weather for a city."""
    return _result({"city": city, "temperature_c": len(city) * 3, "episode_id": _episode(ctx)})


@server.tool
async def slow_add(a: int, b: int, ctx: Context, delay_s: float = 0.3) -> ToolResult:
    """Add two integers after a delay; reports when it started and ended."""
    started = time.time()
    await asyncio.sleep(delay_s)
    return _result({"sum": a + b, "started": started, "ended": time.time(), "episode_id": _episode(ctx)})


@server.tool
async def always_fails(reason: str) -> str:
    """Fails with the given reason."""
    raise ToolError(f"refused: {reason}")


COUNT_SCHEMA = {"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}


@server.tool(output_schema=COUNT_SCHEMA)
async def broken_count(item: str) -> ToolResult:
    """Counts an item, but returns a result that breaks its own output schema."""
    return _result({"count": f"many {item}s"})


@server.tool(output_schema=COUNT_SCHEMA)
async def exit_server() -> ToolResult:
    """Ends the server process mid-call (a server that dies)."""
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]), show_banner=False)
    else:
        server.run(transport="stdio", show_banner=False)
