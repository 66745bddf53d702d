"""One world per conversation, whatever the client: real clients over real transports.

A conversation is one client connection. Through the official MCP Python SDK
client (negotiating ``auto``, and ``legacy`` as mcp 1.x clients and the
Inspector do) and fastmcp's Client, over HTTP at ``/mcp`` and over stdio,
two calls in one conversation share a world and two conversations do not.
The tool model is scripted: a price is 100 + the number of earlier results
the simulator shows it, so a result tells which world it was made in.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx2
import mcp
import pytest
import pytest_asyncio
from fastmcp import Client as FastMCPClient
from fastmcp.client.transports import StdioTransport

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from mcp_servers.http_app import RunningServer, serve_http
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import ScriptedOpenAI
from tests.mcp_servers.test_http_app import FINANCE, TRAVEL, history_size_reply

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]
Conversation = Callable[[Any], AbstractAsyncContextManager[Call]]


@asynccontextmanager
async def sdk(target: Any, mode: str) -> AsyncIterator[Call]:
    async with mcp.Client(target, mode=mode) as client:
        yield client.call_tool


@asynccontextmanager
async def fastmcp_client(target: Any) -> AsyncIterator[Call]:
    async with FastMCPClient(target) as client:
        yield client.call_tool_mcp


CLIENTS: dict[str, Conversation] = {
    "mcp-sdk-auto": lambda target: sdk(target, "auto"),
    "mcp-sdk-legacy": lambda target: sdk(target, "legacy"),
    "fastmcp": fastmcp_client,
}


async def two_calls(conversation: AbstractAsyncContextManager[Call]) -> list[tuple[int, str]]:
    """(price, episode) of two calls in one conversation."""
    found = []
    async with conversation as call:
        for ticker in ("AAPL", "MSFT"):
            result = await call("get_share_price", {"ticker": ticker})
            assert not result.is_error, result.content
            found.append((result.structured_content["price"], result.meta["button"]["episode_id"]))
    return found


def assert_two_worlds(first: list[tuple[int, str]], second: list[tuple[int, str]]) -> None:
    assert [price for price, _ in first] == [100, 101]  # the second call saw the first
    assert [price for price, _ in second] == [100, 101]  # a fresh world: nothing seen before
    assert first[0][1] == first[1][1] and second[0][1] == second[1][1]
    assert first[0][1] != second[0][1]


@pytest_asyncio.fixture(loop_scope="function")
async def one_task() -> AsyncIterator[RunningServer]:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(history_size_reply) as scripted:
        client = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, client) as server:
            yield server


@pytest.mark.parametrize("kind", sorted(CLIENTS))
async def test_http_mcp_is_one_world_per_conversation(one_task: RunningServer, kind: str) -> None:
    url = f"{one_task.base_url}/mcp"
    first = await two_calls(CLIENTS[kind](url))
    second = await two_calls(CLIENTS[kind](url))
    assert_two_worlds(first, second)
    assert first[0][1].startswith("session:")


@pytest.mark.parametrize("kind", sorted(CLIENTS))
async def test_stdio_is_one_world_per_conversation(kind: str) -> None:
    with ScriptedOpenAI(history_size_reply) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        args = ["-m", "button.cli.main", "serve", str(TASKS_FILE), "--task", FINANCE, "--no-cache"]
        if kind.startswith("mcp-sdk"):
            target: Any = mcp.StdioServerParameters(command=sys.executable, args=args, env=env)
        else:
            target = StdioTransport(sys.executable, args, env=env, keep_alive=False)
        first = await two_calls(CLIENTS[kind](target))
        if not kind.startswith("mcp-sdk"):
            target = StdioTransport(sys.executable, args, env=env, keep_alive=False)
        second = await two_calls(CLIENTS[kind](target))
    assert_two_worlds(first, second)
    assert first[0][1].startswith("stdio:")


async def test_episode_url_takes_the_sessionless_protocol_and_names_the_world(
    one_task: RunningServer,
) -> None:
    url = f"{one_task.base_url}/episodes/conv-7/mcp"
    async with mcp.Client(url, mode="2026-07-28") as client:
        first = await client.call_tool("get_share_price", {"ticker": "AAPL"})
    async with mcp.Client(url, mode="2026-07-28") as client:  # a new connection, the same world
        second = await client.call_tool("get_share_price", {"ticker": "MSFT"})
    assert [first.structured_content["price"], second.structured_content["price"]] == [100, 101]
    assert first.meta is not None and second.meta is not None
    assert first.meta["button"]["episode_id"] == second.meta["button"]["episode_id"] == "conv-7"


async def test_a_pinned_sessionless_client_at_a_bare_endpoint_is_told_to_use_an_episode_url(
    one_task: RunningServer,
) -> None:
    with pytest.raises(BaseException) as raised:
        async with mcp.Client(f"{one_task.base_url}/mcp", mode="2026-07-28") as client:
            await client.call_tool("get_share_price", {"ticker": "AAPL"})
    error = innermost(raised.value)
    assert isinstance(error, mcp.MCPError) and error.code == -32022
    assert (
        "keeps one world per MCP session" in error.message and "/episodes/<episode_id>/mcp" in error.message
    )


def innermost(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


async def test_other_paths_are_404s_that_list_the_endpoints() -> None:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE, TRAVEL])
    with ScriptedOpenAI(history_size_reply) as scripted:
        client = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, client) as many, httpx2.AsyncClient() as http:
            base = many.base_url
            listing = [f"{base}/tasks/{FINANCE}/mcp", f"{base}/tasks/{TRAVEL}/mcp"]
            for path, error in [
                ("/mcp", "2 tasks are served, each at its own endpoint; /mcp serves one task only"),
                ("/sse", "no MCP endpoint at /sse"),
                ("/tasks/nope/mcp", "no MCP endpoint at /tasks/nope/mcp"),
            ]:
                response = await http.post(base + path, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
                assert response.status_code == 404
                assert response.json()["error"] == error and sorted(response.json()["endpoints"]) == listing
            async with FastMCPClient(listing[1]) as travel:
                assert {tool.name for tool in await travel.list_tools()} == {
                    "search_flights",
                    "search_hotels",
                }


async def test_server_info_is_buttons_name_and_version(one_task: RunningServer) -> None:
    from button import __version__

    async with mcp.Client(f"{one_task.base_url}/mcp", mode="legacy") as client:
        info = client.server_info
    assert info is not None and info.version == __version__
    assert re.fullmatch(r"button_finance_two_share_[0-9a-f]{6}", info.name)  # a valid tool-name prefix
