"""Bad MCP arguments sent to ``button serve`` over HTTP, as raw JSON-RPC text.

Each is answered with one line naming the field (or key, or tool) and the rule: a tool
error for a call the tools can read, a JSON-RPC error for a request the MCP SDK cannot
parse. Bad values are clipped with their size said. The tool model is never asked, the
server keeps serving, and the episode keeps its earlier call and nothing of the bad one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from mcp_servers.http_app import MAX_BODY_BYTES, RunningServer, serve_http
from mcp_servers.tools import ERROR_TEXT_LIMIT
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import ScriptedOpenAI, say
from tests.mcp_servers.raw_jsonrpc import RawSession

FINANCE = "finance.two_share_prices_then_split"
TOOL = "get_share_price"
ANSWER = {"ticker": "AAPL", "price": 191.5, "currency": "USD", "as_of": "2026-12-01"}
INVALID = "invalid arguments for get_share_price: "

# (tool, the arguments as sent, the start of the one-line tool error)
TOOL_ERRORS = [
    (TOOL, '{"ticker": 5}', INVALID + "'ticker': 5 is not of type 'string'"),
    (TOOL, "{}", INVALID + "'ticker' is a required property"),
    (TOOL, "null", INVALID + "'ticker' is a required property"),
    (TOOL, '{"ticker": "AAPL", "bogus": 1}', INVALID + "Additional properties are not allowed ('bogus' was unexpected)"),
    (TOOL, '{"ticker": "AAPL", "exchange": "LSE"}', INVALID + "'exchange': 'LSE' is not one of ['NASDAQ', 'NYSE']"),
    (TOOL, '{"ticker": NaN}', INVALID + "'ticker': nan is not of type 'string'"),
    (TOOL, json.dumps({"ticker": "A" * 1_000_000}), INVALID + "'ticker': 'AAAA"),
    (TOOL, '{"ticker": "AAPL", "ticker": "MSFT"}', INVALID + "key 'ticker' is given twice"),
    ("x" * 100_000, "{}", "unknown tool 'xxxx"),
]  # fmt: skip
CLIPPED = {
    6: "... (1,000,002 characters, clipped) does not match '^[A-Z]{1,5}$'",
    8: "(100,000 characters, clipped)",
}

# requests the MCP SDK refuses before any tool sees them: (arguments as sent, JSON-RPC code)
PROTOCOL_ERRORS = [
    ('{"ticker": ' + "[" * 100_000 + "]" * 100_000 + "}", -32700),
    ("[1, 2]", -32602),
    ('"AAPL"', -32602),
]


@pytest_asyncio.fixture(loop_scope="function")
async def served() -> AsyncIterator[tuple[RunningServer, ScriptedOpenAI]]:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(lambda body: say(json.dumps(ANSWER))) as scripted:
        model = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, model) as server:
            yield server, scripted


async def around_a_bad_call(
    served: tuple[RunningServer, ScriptedOpenAI], name: str, arguments: str
) -> tuple[int, dict[str, Any]]:
    """A good call, the bad one, a good call again in one episode: the bad call's answer,
    after checking that only the good calls reached the model and the episode."""
    server, scripted = served
    async with RawSession(server.url_for(FINANCE, episode_id="bad")) as session:
        _, before = await session.call(TOOL, '{"ticker": "AAPL"}')
        status, answer = await session.call(name, arguments)
        assert len(scripted.requests) == 1, "the bad call reached the tool model"
        _, after = await session.call(TOOL, '{"ticker": "MSFT"}')
    assert before is not None and after is not None and answer is not None
    assert after["result"]["structuredContent"] == ANSWER  # the server keeps serving
    history = server.simulators[FINANCE].episode("bad").history()
    assert [call.arguments for call in history] == [{"ticker": "AAPL"}, {"ticker": "MSFT"}]
    return status, answer


@pytest.mark.parametrize(
    ("index", "name", "arguments", "expected"), [(i, *case) for i, case in enumerate(TOOL_ERRORS)]
)
async def test_a_bad_call_is_a_one_line_tool_error_naming_the_field(
    index: int, name: str, arguments: str, expected: str, served: tuple[RunningServer, ScriptedOpenAI]
) -> None:
    _, answer = await around_a_bad_call(served, name, arguments)
    result = answer["result"]
    assert result["isError"] is True
    [content] = result["content"]
    text = content["text"]
    assert text.startswith(expected), text
    assert "\n" not in text and len(text) <= ERROR_TEXT_LIMIT + 100
    if index in CLIPPED:
        assert CLIPPED[index] in text


@pytest.mark.parametrize(("arguments", "code"), PROTOCOL_ERRORS)
async def test_a_request_the_sdk_cannot_read_is_a_json_rpc_error_and_nothing_more(
    arguments: str, code: int, served: tuple[RunningServer, ScriptedOpenAI]
) -> None:
    _, answer = await around_a_bad_call(served, TOOL, arguments)
    assert answer["error"]["code"] == code
    assert "\n" not in answer["error"]["message"]


async def test_a_request_over_the_size_limit_is_refused_before_it_is_read_whole(
    served: tuple[RunningServer, ScriptedOpenAI],
) -> None:
    arguments = json.dumps({"ticker": "A" * (MAX_BODY_BYTES + 1)})
    status, answer = await around_a_bad_call(served, TOOL, arguments)
    assert status == 413
    assert answer == {"error": f"the request body is over {MAX_BODY_BYTES:,} bytes"}
