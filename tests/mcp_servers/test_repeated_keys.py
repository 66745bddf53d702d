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
import sys
from pathlib import Path
from typing import Any

import httpx2

from button.endpoints import EndpointConfig, Role
from button.llm import ModelClient
from button.taskfile import load_tasks
from mcp_servers.http_app import serve_http
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import ScriptedOpenAI, say

BUTTON = str(Path(sys.executable).with_name("button"))
FINANCE = "finance.two_share_prices_then_split"
REPEATED = '{"ticker": "AAPL", "ticker": "MSFT"}'
HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
ANSWER = {"ticker": "AAPL", "price": 191.5, "currency": "USD", "as_of": "2026-12-01"}


def call_text(request_id: int, arguments: str) -> str:
    """A tools/call request as text, with the arguments spliced in exactly as given."""
    return (
        f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/call", '
        f'"params": {{"name": "get_share_price", "arguments": {arguments}}}}}'
    )


def assert_repeat_refused(result: dict[str, Any]) -> None:
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert text == "invalid arguments for get_share_price: key 'ticker' is given twice", text


def sse_result(response: httpx2.Response) -> dict[str, Any]:
    """The JSON-RPC result of a POST answered as JSON or as an event stream."""
    if response.headers["content-type"].startswith("application/json"):
        return json.loads(response.text)["result"]  # type: ignore[no-any-return]
    data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])["result"]  # type: ignore[no-any-return]


async def test_over_http_a_repeated_key_is_a_tool_error_and_the_model_is_not_asked() -> None:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    with ScriptedOpenAI(lambda body: say(json.dumps(ANSWER))) as scripted:
        model = ModelClient(EndpointConfig(Role.TOOL, scripted.base_url, scripted.model), scripted.base_url)
        async with serve_http(tasks, model) as server:
            url = server.url_for(FINANCE, episode_id="raw")
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
            async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                hello = await http.post(
                    url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}
                )
                headers["Mcp-Session-Id"] = hello.headers.get("mcp-session-id", "")
                headers["Mcp-Protocol-Version"] = HELLO["protocolVersion"]
                await http.post(
                    url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
                )
                refused = await http.post(url, content=call_text(2, REPEATED), headers=headers)
                assert scripted.requests == []
                answered = await http.post(url, content=call_text(3, '{"ticker": "AAPL"}'), headers=headers)
            simulator = server.simulators[FINANCE]
    assert_repeat_refused(sse_result(refused))
    good = sse_result(answered)
    assert good.get("isError") is not True and good["structuredContent"] == ANSWER
    assert len(scripted.requests) == 1
    remembered = simulator.episodes["raw"].history()
    assert [call.arguments for call in remembered] == [{"ticker": "AAPL"}]


def test_over_stdio_a_repeated_key_is_a_tool_error_and_the_server_keeps_serving(tmp_path: Path) -> None:
    with ScriptedOpenAI(lambda body: say(json.dumps(ANSWER))) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        process = subprocess.Popen(
            [BUTTON, "serve", str(TASKS_FILE), "--task", FINANCE, "--no-cache"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        lines = [
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}),
            json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            call_text(2, REPEATED),
            call_text(3, '{"ticker": "AAPL"}'),
        ]
        process.stdin.write("\n".join(lines) + "\n")
        process.stdin.flush()
        answers = {}
        while len(answers) < 3:
            message = json.loads(process.stdout.readline())
            answers[message["id"]] = message
        process.stdin.close()  # the end of input ends the server
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        stderr = process.stderr.read()
    assert_repeat_refused(answers[2]["result"])
    assert answers[3]["result"]["structuredContent"] == ANSWER
    assert len(scripted.requests) == 1  # only the good call reached the tool model
    assert "Traceback" not in stderr
