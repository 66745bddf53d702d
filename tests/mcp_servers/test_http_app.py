"""``serve_http`` in-process, with a real MCP client over streamable HTTP.

The tool model is a scripted OpenAI-compatible server whose answers depend on
the prompt, so episodes, auth and the Origin check are tested deterministically.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport

from button.data_model.task import Task
from button.data_model.tool_meta import ToolResultMeta
from button.errors import ConfigError
from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from mcp_servers.http_app import RunningServer, serve_http
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

FINANCE = "finance.two_share_prices_then_split"
TRAVEL = "travel.flight_then_hotel"


def history_size_reply(body: dict[str, Any]) -> Reply:
    """A get_share_price result whose price is 100 + the number of earlier results shown."""
    text = body["messages"][-1]["content"]
    earlier = text.split("Earlier results:\n", 1)[1].split("\nCall: ", 1)[0]
    count = 0 if earlier == "(none yet)" else len(earlier.splitlines())
    return say(json.dumps({"ticker": "AAPL", "price": 100 + count, "currency": "USD", "as_of": "2026-12-01"}))


@pytest_asyncio.fixture(loop_scope="function")  # the server must run on the test's loop
async def running() -> AsyncIterator[RunningServer]:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE, TRAVEL])
    with ScriptedOpenAI(history_size_reply) as scripted:
        client = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, client) as server:
            yield server


async def post(url: str, headers: dict[str, str] | None = None) -> int:
    """The status of a bare JSON-RPC ping (the server shares this event loop: no sync calls)."""
    async with httpx2.AsyncClient() as http:
        response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    if response.status_code == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    return response.status_code


async def price(client: Client[Any], ticker: str, meta: dict[str, Any] | None = None) -> Any:
    result = await client.call_tool_mcp("get_share_price", {"ticker": ticker}, meta=meta)
    assert not result.is_error, result.content
    return result


async def test_each_task_has_its_endpoint_with_its_tools(running: RunningServer) -> None:
    for task_id in (FINANCE, TRAVEL):
        task: Task = running.simulators[task_id].task
        async with Client(running.url_for(task_id)) as client:
            tools = {tool.name: tool for tool in await client.list_tools()}
        assert set(tools) == {spec.name for spec in task.functions}
        for spec in task.functions:
            assert tools[spec.name].input_schema == spec.function.parameters
            assert tools[spec.name].output_schema == spec.returns
            assert tools[spec.name].description == spec.function.description
    assert await post(f"{running.base_url}/tasks/no.such.task/mcp") == 404


async def test_episodes_from_url_and_meta_keep_separate_histories(running: RunningServer) -> None:
    async with Client(running.url_for(FINANCE, episode_id="one")) as one:
        first = await price(one, "AAPL")
        second = await price(one, "MSFT")
        named = await price(one, "MSFT", meta={"episode_id": "three"})  # _meta wins over the URL
    async with Client(running.url_for(FINANCE, episode_id="two")) as two:
        other = await price(two, "MSFT")
    assert [first.structured_content["price"], second.structured_content["price"]] == [100, 101]
    assert other.structured_content["price"] == 100 and named.structured_content["price"] == 100
    assert second.meta["button"]["episode_id"] == "one" and named.meta["button"]["episode_id"] == "three"
    simulator = running.simulators[FINANCE]
    assert [len(simulator.episode(e).history()) for e in ("one", "two", "three")] == [2, 1, 1]


async def test_an_episode_id_with_slashes_and_hashes_routes_to_its_episode(running: RunningServer) -> None:
    episode = "run-1/finance.two_share_prices_then_split#0"
    async with Client(running.url_for(FINANCE, episode_id=episode)) as client:
        result = await price(client, "AAPL")
    assert result.meta["button"]["episode_id"] == episode
    assert len(running.simulators[FINANCE].episode(episode).history()) == 1


async def test_result_is_structured_and_json_text_with_usage_in_meta(running: RunningServer) -> None:
    async with Client(running.url_for(FINANCE, episode_id="u")) as client:
        result = await price(client, "AAPL")
        again = await price(client, "AAPL")
    assert json.loads(result.content[0].text) == result.structured_content
    usage = result.meta["button"]["usage"]
    assert usage["requests"] == 1 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert result.meta["button"]["cache_hit"] is False and result.meta["button"]["model"] == "scripted"
    assert again.meta["button"]["cache_hit"] is True and again.meta["button"]["usage"]["requests"] == 0
    # what the harness reads back is the model the server wrote, whole
    read = ToolResultMeta.of_result(result.meta)
    assert read is not None and read.episode_id == "u" and read.usage.requests == 1


async def test_errors_are_tool_errors_and_the_server_keeps_serving(running: RunningServer) -> None:
    async with Client(running.url_for(FINANCE, episode_id="err")) as client:
        bad = await client.call_tool_mcp("get_share_price", {"ticker": "apple!"})
        unknown = await client.call_tool_mcp("get_weather", {})
        good = await price(client, "AAPL")
    assert bad.is_error and "'ticker'" in bad.content[0].text and "does not match" in bad.content[0].text
    assert unknown.is_error and "get_weather" in unknown.content[0].text
    assert good.structured_content["ticker"] == "AAPL"


async def test_non_loopback_bind_needs_a_token() -> None:
    client = ModelClient(EndpointConfig(Role.TOOL, "http://127.0.0.1:9/v1", "none"), "http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="needs an auth token"):
        async with serve_http([], client, host="0.0.0.0"):
            raise AssertionError("served off loopback without a token")


async def test_every_path_is_checked_before_it_is_routed_and_a_rebound_host_is_refused() -> None:
    """The token guards the 404 that lists the endpoints too; on loopback, a Host that is not
    a loopback name (a DNS-rebinding page's) gets 421, whatever the path."""
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(history_size_reply) as scripted:
        model = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, model, auth_token="s3cret") as server:
            assert await post(f"{server.base_url}/nowhere") == 401
            authorized = {"Authorization": "Bearer s3cret"}
            assert await post(f"{server.base_url}/nowhere", authorized) == 404
            rebound = {**authorized, "Host": f"evil.example:{server.port}"}
            assert await post(server.url_for(FINANCE), rebound) == 421
            assert await post(f"{server.base_url}/nowhere", rebound) == 421
            page = {**authorized, "Origin": "http://evil.example"}
            assert await post(f"{server.base_url}/nowhere", page) == 403


async def test_token_and_origin_checks() -> None:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(history_size_reply) as scripted:
        model = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(
            tasks, model, host="0.0.0.0", auth_token="s3cret", allowed_origins=["https://app.example"]
        ) as server:
            url = server.url_for(FINANCE)
            assert await post(url) == 401
            assert await post(url, {"Authorization": "Bearer nope"}) == 401
            authorized = {"Authorization": "Bearer s3cret"}
            assert await post(url, {**authorized, "Origin": "http://evil.example"}) == 403
            for origin in ("http://localhost:3000", "https://app.example"):
                headers = {**authorized, "Origin": origin}
                async with Client(StreamableHttpTransport(url, headers=headers)) as client:
                    result = await price(client, "AAPL")
                assert result.structured_content["ticker"] == "AAPL"
