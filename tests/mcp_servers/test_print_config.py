"""``button serve --print-config``: entries a client can paste, and that work as printed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from button.embedded.model_server import free_port
from button.validation.taskfile import load_tasks
from mcp_servers.names import OPENAI_TOOL_NAME, server_key
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import ScriptedOpenAI
from tests.mcp_servers.test_http_app import FINANCE, TRAVEL, history_size_reply
from tests.mcp_servers.test_serve_cli import ORIGINAL_SERVER

SERVE = [sys.executable, "-m", "button.cli.main", "serve"]


def printed(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [*SERVE, "--print-config", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("{"), done.stdout + done.stderr
    servers: dict[str, Any] = json.loads(done.stdout)["mcpServers"]
    return servers


def test_every_key_is_a_valid_openai_tool_name_prefix() -> None:
    tasks = load_tasks(TASKS_FILE)
    keys = {server_key(task.id) for task in tasks}
    assert len(keys) == len(tasks)  # distinct tasks, distinct keys
    for key in keys:
        assert OPENAI_TOOL_NAME.match(key) and "." not in key and len(key) <= 32
    assert server_key("a." * 40 + "x") != server_key("a." * 40 + "y")  # a cut key keeps ids apart
    assert set(printed([str(TASKS_FILE)])) == keys


async def test_http_config_is_the_url_and_token_of_the_server_these_flags_start() -> None:
    port = free_port()
    flags = [str(TASKS_FILE), "--task", FINANCE, "--task", TRAVEL, "--transport", "http"]
    flags += ["--port", str(port), "--auth-token", "s3cret", "--no-cache"]
    entries = printed(flags)
    assert set(entries) == {server_key(FINANCE), server_key(TRAVEL)}
    entry = entries[server_key(TRAVEL)]
    assert entry == {
        "url": f"http://127.0.0.1:{port}/tasks/{TRAVEL}/mcp",
        "headers": {"Authorization": "Bearer s3cret"},
    }
    with ScriptedOpenAI(history_size_reply) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        server = subprocess.Popen(
            [*SERVE, *flags], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            assert server.stdout is not None
            await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 60)  # "serving ..."
            transport = StreamableHttpTransport(entry["url"], headers=entry["headers"])
            async with Client(transport) as client:
                names = {tool.name for tool in await client.list_tools()}
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert names == {"search_flights", "search_hotels"}


async def test_twin_config_has_no_bare_double_dash_and_starts_the_twin(tmp_path: Path) -> None:
    original = tmp_path / "original.py"
    original.write_text(ORIGINAL_SERVER)
    called = tmp_path / "called.txt"
    entry = next(
        iter(printed(["--no-cache", "--twin", "--", sys.executable, str(original), str(called)]).values())
    )
    assert "--" not in entry["args"]
    with ScriptedOpenAI(history_size_reply) as scripted:
        env = {**os.environ, **scripted.env("tool")}
        async with Client(StdioTransport(entry["command"], entry["args"], env=env)) as client:
            names = {tool.name for tool in await client.list_tools()}
    assert names == {"get_forecast"}
