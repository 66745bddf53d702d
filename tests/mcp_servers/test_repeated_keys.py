"""A ``tools/call`` whose arguments give a key twice is an invalid call, on both transports.

The requests are written by hand, as raw JSON-RPC text (an MCP client built on
``json`` could not send a repeated key). The tool model is scripted: it must not
be asked, the answer is a tool error naming the key, the server keeps serving,
and the episode does not remember the call.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import load_tasks
from mcp_servers.http_app import serve_http
from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.scripted_openai import ScriptedOpenAI, say
from tests.mcp_servers.raw_jsonrpc import HELLO, RawSession, call_text

FINANCE = "finance.two_share_prices_then_split"
TOOL = "get_share_price"
REPEATED = '{"ticker": "AAPL", "ticker": "MSFT"}'
ANSWER = {"ticker": "AAPL", "price": 191.5, "currency": "USD", "as_of": "2026-12-01"}


def assert_repeat_refused(result: dict[str, Any]) -> None:
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert text == "invalid arguments for get_share_price: key 'ticker' is given twice", text


async def test_over_http_a_repeated_key_is_a_tool_error_and_the_model_is_not_asked() -> None:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(lambda body: say(json.dumps(ANSWER))) as scripted:
        model = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, model) as server, RawSession(server.url_for(FINANCE, "raw")) as session:
            _, refused = await session.call(TOOL, REPEATED)
            assert scripted.requests == []
            _, answered = await session.call(TOOL, '{"ticker": "AAPL"}')
            remembered = server.simulators[FINANCE].episode("raw").history()
    assert refused is not None and answered is not None
    assert_repeat_refused(refused["result"])
    assert answered["result"]["structuredContent"] == ANSWER
    assert len(scripted.requests) == 1
    assert [call.arguments for call in remembered] == [{"ticker": "AAPL"}]


def test_over_stdio_a_repeated_key_is_a_tool_error_and_the_server_keeps_serving() -> None:
    with ScriptedOpenAI(lambda body: say(json.dumps(ANSWER))) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        process = subprocess.Popen(
            [BUTTON, "serve", str(TASKS_FILE), "--task", FINANCE, "--no-cache"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        lines = [
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}),
            json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            call_text(2, TOOL, REPEATED),
            call_text(3, TOOL, '{"ticker": "AAPL"}'),
        ]
        process.stdin.write("\n".join(lines) + "\n")
        process.stdin.flush()
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) < 3:
            message = json.loads(process.stdout.readline())
            answers[message["id"]] = message
        process.stdin.close()  # the end of input ends the server
        assert process.wait(timeout=30) == 0
        stderr = process.stderr.read()
    assert_repeat_refused(answers[2]["result"])
    assert answers[3]["result"]["structuredContent"] == ANSWER
    assert len(scripted.requests) == 1  # only the good call reached the tool model
    assert "Traceback" not in stderr
