"""``button run`` against a server that lacks a task's functions, and results that are not text.

The MCP server is a real third server over stdio that offers one of the
finance task's two functions, plus a tool whose result is text, an image and
an embedded resource.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from button.validation.taskfile import load_tasks
from harness.run.mcp_tools import ToolConnections, ToolSource, missing_functions
from tests.conftest import TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, is_user_request, say, user_turn

FINANCE = "finance.two_share_prices_then_split"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(92)  # 100 bytes

PARTIAL_SERVER = f"""\
import base64
from fastmcp import FastMCP
from fastmcp.tools import ToolResult
from mcp.types import EmbeddedResource, ImageContent, TextContent, TextResourceContents

server = FastMCP("partial")

@server.tool
def get_share_price(ticker: str) -> str:
    return ticker + " 101.5"

@server.tool
def chart(ticker: str) -> ToolResult:
    return ToolResult(content=[
        TextContent(type="text", text="chart of " + ticker),
        ImageContent(type="image", data=base64.b64encode({PNG!r}).decode(), mime_type="image/png"),
        EmbeddedResource(type="resource", resource=TextResourceContents(
            uri="file:///notes.txt", mime_type="text/plain", text="rising")),
    ])

@server.tool
def quote(ticker: str) -> ToolResult:  # "button" in _meta, but not our shape
    meta = [ticker] if ticker == "AAPL" else {{"episode_id": 7, "usage": "lots"}}
    return ToolResult(content=[TextContent(type="text", text=ticker + " 101.5")], meta={{"button": meta}})

server.run(transport="stdio", show_banner=False)
"""


@pytest.fixture
def partial_command(tmp_path: Path) -> str:
    script = tmp_path / "partial_server.py"
    script.write_text(PARTIAL_SERVER)
    return f"{sys.executable} {script}"


async def test_missing_functions_are_named_per_task(partial_command: str) -> None:
    tasks = load_tasks(TASKS_FILE, only=[FINANCE])
    assert await missing_functions(ToolSource(command=partial_command), tasks) == {
        FINANCE: ["calculate_equal_split"]
    }


def user_then_done(body: dict[str, Any]) -> Reply:
    return user_turn("What is AAPL worth?", stop=True) if is_user_request(body) else say("done")


def test_run_refuses_a_server_that_lacks_functions_unless_allowed(
    partial_command: str, tmp_path: Path
) -> None:
    with ScriptedOpenAI(user_then_done) as scripted:
        env = {**os.environ, **scripted.env("assistant", "user")}
        command = [sys.executable, "-m", "button.cli.main", "run", str(TASKS_FILE), "--task", FINANCE]
        command += ["--out", str(tmp_path / "run"), "--mcp-command", partial_command]
        refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        refused_made_a_run = (tmp_path / "run" / "trajectories.jsonl").exists()
        allowed = subprocess.run(
            [*command, "--allow-missing-tools", "--max-turns", "1"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: MCP server stdio: {partial_command}: lacks {FINANCE}'s calculate_equal_split "
        "(--allow-missing-tools runs anyway)"
    )
    assert not refused_made_a_run
    assert f"warning: MCP server stdio: {partial_command}: lacks {FINANCE}'s calculate_equal_split" in (
        allowed.stderr
    )
    assert (tmp_path / "run" / "trajectories.jsonl").exists()


async def test_non_text_blocks_are_recorded_by_type_and_size(partial_command: str) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "chart", "arguments": '{"ticker": "AAPL"}'}}
    async with (
        ToolConnections() as connections,
        connections.session(ToolSource(command=partial_command), FINANCE, "ep") as session,
    ):
        outcome = await session.call(call)
    assert outcome.message["content"] == (
        "chart of AAPL\n[image image/png, 100 bytes]\n[resource file:///notes.txt text/plain, 6 characters]\nrising"
    )


async def test_a_foreign_meta_under_our_key_is_passed_over_with_one_warning(
    partial_command: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Another server's ``_meta["button"]``, a list or an object of other fields, costs no conversation."""
    calls = [
        {
            "id": f"c{n}",
            "type": "function",
            "function": {"name": "quote", "arguments": json.dumps({"ticker": t})},
        }
        for n, t in enumerate(["MSFT", "AAPL", "MSFT"])
    ]
    async with (
        ToolConnections() as connections,
        connections.session(ToolSource(command=partial_command), FINANCE, "ep") as session,
    ):
        outcomes = [await session.call(call) for call in calls]
    assert [(o.message["content"], o.usage, o.error) for o in outcomes] == [
        ("MSFT 101.5", None, None),
        ("AAPL 101.5", None, None),
        ("MSFT 101.5", None, None),
    ]
    warnings = [line for line in capfd.readouterr().err.splitlines() if "_meta.button" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "episode_id" in warnings[0], (
        warnings
    )
