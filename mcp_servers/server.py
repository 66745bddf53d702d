"""A FastMCP server for one task: its functions as simulated tools."""

from __future__ import annotations

from fastmcp import FastMCP

from button import __version__
from button.task import Task
from mcp_servers.names import server_key
from mcp_servers.tools import SimulatedTool
from simulator.tool_agent import ToolSimulator


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
    for spec in task.functions:
        server.add_tool(SimulatedTool.of(spec, simulator))
    return server
