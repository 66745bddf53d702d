"""``button serve`` as a subprocess, a real MCP client, the real embedded model.

The model-backed calls are few (one small task; about four model calls in
all): the embedded server answers one request at a time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from jsonschema import Draft202012Validator

from button.cli.main import build_parser
from button.llm.endpoints import Role, endpoint_from_args
from button.validation.taskfile import load_tasks
from mcp_servers.names import server_key
from simulator.sim_cache import DEFAULT_CACHE_PATH
from tests.conftest import TASKS_FILE

FINANCE = "finance.two_share_prices_then_split"
TRAVEL = "travel.flight_then_hotel"
SERVE = ["-m", "button.cli.main", "serve"]
DEAD_MODEL = "http://127.0.0.1:9/v1"  # nothing listens: any model call fails

ORIGINAL_SERVER = """\
import pathlib, sys
from fastmcp import FastMCP
from pydantic import BaseModel

server = FastMCP("weather-original")
CALLED = pathlib.Path(sys.argv[1])

class Forecast(BaseModel):
    city: str
    high_c: float
    summary: str

@server.tool
def get_forecast(city: str, days: int = 1) -> Forecast:
    \"\"\"Forecast for a city.\"\"\"
    CALLED.write_text("the original was called")
    return Forecast(city=city, high_c=-999.0, summary="ORIGINAL")

server.run(transport="stdio", show_banner=False)
"""


def stdio(args: list[str], env: dict[str, str]) -> Client[StdioTransport]:
    return Client(StdioTransport(sys.executable, [*SERVE, *args], env=env))


def valid(value: Any, schema: dict[str, Any]) -> bool:
    return not list(Draft202012Validator(schema).iter_errors(value))


async def calls(client: Client[Any]) -> list[Any]:
    """The finance task's calls: a price, the same again, a bad one, an unknown tool, the split."""
    price = await client.call_tool_mcp("get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"})
    again = await client.call_tool_mcp("get_share_price", {"ticker": "AAPL", "exchange": "NASDAQ"})
    bad = await client.call_tool_mcp("get_share_price", {"ticker": "apple"})
    unknown = await client.call_tool_mcp("sell_everything", {})
    assert not price.is_error, price.content
    split_args = {"budget_usd": 1000, "price_a_usd": price.structured_content["price"], "price_b_usd": 50}
    split = await client.call_tool_mcp("calculate_equal_split", split_args)
    return [price, again, bad, unknown, split]


@pytest.mark.model
async def test_stdio_serves_a_task_and_a_warm_rerun_needs_no_model(
    model_env: dict[str, str], tmp_path: Path
) -> None:
    task = load_tasks(TASKS_FILE, only=[FINANCE])[0]
    args = [str(TASKS_FILE), "--task", FINANCE, "--cache", str(tmp_path / "cache.sqlite")]
    async with stdio(args, model_env) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        cold = await calls(client)
    assert set(tools) == {spec.name for spec in task.functions}
    for spec in task.functions:
        assert tools[spec.name].input_schema == spec.function.parameters
        assert tools[spec.name].output_schema == spec.returns
    price, again, bad, unknown, split = cold
    price_spec, split_spec = task.function("get_share_price"), task.function("calculate_equal_split")
    assert price_spec is not None and price_spec.returns and split_spec is not None and split_spec.returns
    assert valid(price.structured_content, price_spec.returns)
    assert json.loads(price.content[0].text) == price.structured_content
    assert again.structured_content == price.structured_content and again.meta["button"]["cache_hit"]
    assert bad.is_error and "'ticker': 'apple' does not match" in bad.content[0].text
    assert unknown.is_error and "sell_everything" in unknown.content[0].text
    assert not split.is_error and valid(split.structured_content, split_spec.returns)  # still serving
    assert price.meta["button"]["usage"]["requests"] >= 1 and not price.meta["button"]["cache_hit"]

    warm_env = {**model_env, "BUTTON_TOOL_BASE_URL": DEAD_MODEL}
    async with stdio(args, warm_env) as client:
        warm = await calls(client)
    for before, after in zip(cold, warm, strict=True):
        assert after.is_error == before.is_error
        assert after.structured_content == before.structured_content
    assert all(
        r.meta["button"]["cache_hit"] and r.meta["button"]["usage"]["requests"] == 0 for r in warm[::4]
    )


@pytest.mark.model
async def test_http_serves_each_task_at_its_url(model_env: dict[str, str], tmp_path: Path) -> None:
    tasks = {task.id: task for task in load_tasks(TASKS_FILE, only=[FINANCE, TRAVEL])}
    command = [sys.executable, *SERVE, str(TASKS_FILE), "--task", FINANCE, "--task", TRAVEL]
    command += ["--transport", "http", "--port", "0", "--no-cache"]
    process = subprocess.Popen(
        command, env=model_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        urls: list[str] = []
        while len(urls) < 2:
            line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
            assert line, process.stderr.read() if process.stderr else ""
            urls += [line.strip()] if line.startswith("http://") else []
        by_task = {url.split("/tasks/")[1].split("/")[0]: url for url in urls}
        assert set(by_task) == set(tasks)
        async with Client(by_task[TRAVEL]) as client:
            assert {t.name for t in await client.list_tools()} == {"search_flights", "search_hotels"}
        episode_url = by_task[FINANCE].replace("/mcp", "/episodes/ep-1/mcp")
        async with Client(episode_url) as client:
            result = await client.call_tool_mcp("get_share_price", {"ticker": "MSFT"})
        spec = tasks[FINANCE].function("get_share_price")
        assert spec is not None and spec.returns is not None
        assert not result.is_error and valid(result.structured_content, spec.returns)
        assert result.meta["button"]["episode_id"] == "ep-1"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.model
async def test_twin_lists_the_originals_tools_and_never_calls_it(
    model_env: dict[str, str], tmp_path: Path
) -> None:
    original = tmp_path / "original.py"
    original.write_text(ORIGINAL_SERVER)
    called = tmp_path / "called.txt"
    async with Client(StdioTransport(sys.executable, [str(original), str(called)])) as client:
        expected = {tool.name: tool for tool in await client.list_tools()}
    called.unlink(missing_ok=True)
    twin_args = ["--no-cache", "--twin", "--", sys.executable, str(original), str(called)]
    async with stdio(twin_args, model_env) as twin:
        tools = {tool.name: tool for tool in await twin.list_tools()}
        result = await twin.call_tool_mcp("get_forecast", {"city": "Oslo"})
    assert set(tools) == set(expected) == {"get_forecast"}
    assert tools["get_forecast"].input_schema == expected["get_forecast"].input_schema
    assert tools["get_forecast"].output_schema == expected["get_forecast"].output_schema
    assert tools["get_forecast"].description == expected["get_forecast"].description
    assert not result.is_error and valid(result.structured_content, expected["get_forecast"].output_schema)
    assert not called.exists()


def test_print_config_starts_the_server_over_stdio(model_env: dict[str, str], tmp_path: Path) -> None:
    command = [
        sys.executable,
        *SERVE,
        str(TASKS_FILE),
        "--task",
        TRAVEL,
        "--cache",
        str(tmp_path / "c.sqlite"),
    ]
    printed = subprocess.run([*command, "--print-config"], capture_output=True, text=True, check=True)
    entry = json.loads(printed.stdout)["mcpServers"][server_key(TRAVEL)]

    async def listed() -> set[str]:
        async with Client(StdioTransport(entry["command"], entry["args"], env=model_env)) as client:
            return {tool.name for tool in await client.list_tools()}

    assert asyncio.run(listed()) == {"search_flights", "search_hotels"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transport", "http", "--host", "0.0.0.0"], "needs an auth token"),
        ([], "stdio serves one task; choose one of"),
        (["--task", "nope"], "no task with id 'nope'"),
        (["--tools", "x.json"], "give one of TASKS, --tools FILE"),
    ],
)
def test_bad_input_exits_2_with_a_located_error(args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, *SERVE, str(TASKS_FILE), *args], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


NO_COMMAND = (
    "error: --twin: with no URL, give the command that starts the MCP server after --: "
    "button serve --twin -- COMMAND ARGS"
)
URL_AND_WORDS = "error: --twin: a URL takes no TASKS or command; remove "


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(TASKS_FILE), "--twin"], NO_COMMAND),  # the task file is not a command
        (["--twin"], NO_COMMAND),
        (["--twin", DEAD_MODEL, "extra", "words"], URL_AND_WORDS + "'extra words'"),
        (["extra", "--twin", DEAD_MODEL], URL_AND_WORDS + "'extra'"),
    ],
)
def test_twin_without_a_command_after_dashes_or_with_a_url_and_extra_words_exits_2(
    args: list[str], message: str
) -> None:
    done = subprocess.run([sys.executable, *SERVE, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == message


def test_print_config_carries_the_tool_endpoint_but_never_a_key(tmp_path: Path) -> None:
    endpoint = [
        "--tool-base-url",
        "http://127.0.0.1:9/v1",
        "--tool-model",
        "m",
        "--tool-api-key-env",
        "MY_KEY",
    ]
    sampling = ["--tool-temperature", "0.3", "--tool-max-tokens", "77"]
    command = [
        sys.executable,
        *SERVE,
        str(TASKS_FILE),
        "--task",
        TRAVEL,
        *endpoint,
        *sampling,
        "--print-config",
    ]
    env = {**os.environ, "MY_KEY": "sk-secret-1", "OPENAI_API_KEY": "sk-secret-2"}
    printed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp_path, env=env)
    assert "sk-secret" not in printed.stdout
    args = json.loads(printed.stdout)["mcpServers"][server_key(TRAVEL)]["args"]
    flags = dict(itertools.pairwise(args))
    assert flags["--tool-base-url"] == "http://127.0.0.1:9/v1" and flags["--tool-model"] == "m"
    assert flags["--tool-api-key-env"] == "MY_KEY"
    assert flags["--tool-temperature"] == "0.3" and flags["--tool-max-tokens"] == "77"
    assert flags["--cache"] == str((tmp_path / DEFAULT_CACHE_PATH).resolve())
    # the printed command parses to the same tool endpoint
    original = build_parser().parse_args(["serve", str(TASKS_FILE), *endpoint, *sampling])
    replayed = build_parser().parse_args(args[args.index("serve") :])
    assert endpoint_from_args(replayed, Role.TOOL) == endpoint_from_args(original, Role.TOOL)
