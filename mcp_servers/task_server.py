"""A FastMCP server for one task: its functions as simulated tools."""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp.types import CallToolRequestParams, TextContent

from button import __version__
from button.data_model.task import Task
from button.errors import clip
from mcp_servers.names import server_key
from mcp_servers.tools import SimulatedTool
from simulator.tool_simulator import ToolSimulator


def build_server(simulator: ToolSimulator) -> FastMCP:
    """The MCP server of ``simulator.task``; its tools keep the functions' names.

    ``serverInfo`` is ``server_key(task.id)`` (a valid tool-name prefix) at
    button's version; the instructions are a twin's original's, else the task's scenario.
    """
    task: Task = simulator.task
    server = FastMCP(
        name=server_key(task.id),
        version=__version__,
        instructions=task.metadata.get("mcp", {}).get("instructions") or task.scenario or None,
    )
    tools = [SimulatedTool.of(spec, simulator) for spec in task.functions]
    for tool in tools:
        server.add_tool(tool)
    server.add_middleware(UnknownTools({tool.name for tool in tools}))
    return server


class UnknownTools(Middleware):
    """A call of a tool the server lacks is a tool error with the name clipped: fastmcp's
    own answer repeats the whole name, however long the client made it."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    async def on_call_tool(
        self,
        context: MiddlewareContext[CallToolRequestParams],
        call_next: CallNext[CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        name = context.message.name
        if name in self.names:
            return await call_next(context)
        known = ", ".join(sorted(self.names))
        text = f"unknown tool {clip(name, 100)!r}; the tools are: {known}"
        return ToolResult(content=[TextContent(type="text", text=text)], is_error=True)
