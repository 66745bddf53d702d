"""The real embedded model: chat, a forced tool call, structured output, start-up."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from jsonschema import Draft202012Validator

from button.cli.model_command import CHECK_SCHEMA, CHECK_TOOL
from button.embedded.model_server import EmbeddedServer
from button.errors import EmbeddedModelError
from button.llm.client import ModelClient, open_models
from button.llm.endpoints import EndpointConfig, Role
from button.llm.structured import JSON_SCHEMA, StructuredOutput
from tests.conftest import TINY_MODEL

pytestmark = pytest.mark.model


def client_for(base_url: str) -> ModelClient:
    # Given by URL, as any external endpoint would be: the structured-output
    # helper must find out by itself which response format this server takes.
    return ModelClient(EndpointConfig(role=Role.ASSISTANT, base_url=base_url, model=TINY_MODEL), base_url)


async def test_chat_completion(embedded_base_url: str) -> None:
    client = client_for(embedded_base_url)
    result = await client.chat([{"role": "user", "content": "Name one colour."}], max_tokens=16)
    assert result.message["role"] == "assistant"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert client.usage.requests == 1


async def test_forced_tool_call_names_the_tool_with_json_arguments(embedded_base_url: str) -> None:
    client = client_for(embedded_base_url)
    result = await client.chat(
        [{"role": "user", "content": "What is the weather in Lisbon?"}],
        tools=[CHECK_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=64,
    )
    calls = result.message["tool_calls"]
    assert [call["function"]["name"] for call in calls] == ["get_weather"]
    assert isinstance(json.loads(calls[0]["function"]["arguments"]), dict)


async def test_structured_output_validates_and_json_schema_is_taken(embedded_base_url: str) -> None:
    """Our server rewrites ``json_schema`` into the form llama-cpp-python constrains by."""
    StructuredOutput.known_modes.pop(embedded_base_url, None)
    client = client_for(embedded_base_url)
    value, usage = await client.complete_json(
        [{"role": "user", "content": "Report the weather in Lisbon as JSON."}], CHECK_SCHEMA, name="weather"
    )
    assert not list(Draft202012Validator(CHECK_SCHEMA).iter_errors(value))
    assert usage.requests >= 1
    assert StructuredOutput.known_modes[embedded_base_url] == JSON_SCHEMA


def test_two_commands_started_at_once_each_get_their_own_server() -> None:
    command = [sys.executable, "-m", "button.cli.main", "model", "check"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTON_")}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    ports = [re.search(r"127\.0\.0\.1:(\d+)", out).group(1) for out, _ in outputs]  # type: ignore[union-attr]
    assert ports[0] != ports[1]
    assert all("structured output" in out for out, _ in outputs)


def test_a_server_that_cannot_start_is_a_one_line_error_naming_its_log() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "button.cli.main", "model", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert re.match(
        r"error: embedded model: the llama.cpp server did not start \(see its log: .+\.log\)", lines[0]
    )


async def test_quotes_and_brackets_reach_the_model_unescaped(embedded_base_url: str) -> None:
    """The chat template must not turn '"' into '&#34;' (upstream renders it as HTML)."""
    client = client_for(embedded_base_url)
    forced = {"type": "function", "function": {"name": "get_weather"}}

    async def prompt_tokens(text: str) -> int:
        result = await client.chat(
            [{"role": "user", "content": text}], tools=[CHECK_TOOL], tool_choice=forced, max_tokens=1
        )
        return result.usage.prompt_tokens

    plain = await prompt_tokens("say x y z")
    quoted = await prompt_tokens('say "x" "y" "z" <&>')
    # 9 added characters; as HTML entities they cost about 40 tokens.
    assert quoted - plain <= 12


async def test_the_completion_limit_holds_when_tools_are_offered(embedded_base_url: str) -> None:
    """Upstream drops max_tokens under tool_choice "auto"; our launcher keeps it."""
    story_tool = {
        "type": "function",
        "function": {
            "name": "write_story",
            "description": "Write a long story.",
            "parameters": {
                "type": "object",
                "properties": {"story": {"type": "string"}},
                "required": ["story"],
            },
        },
    }
    client = client_for(embedded_base_url)
    result = await client.chat(
        [{"role": "user", "content": "Write a very long story about a dragon, with many chapters."}],
        tools=[story_tool],
        tool_choice="auto",
        max_tokens=16,
    )
    assert 0 < result.usage.completion_tokens <= 16


async def test_a_dead_server_fails_the_next_call_at_once_and_keeps_its_log() -> None:
    async with open_models([EndpointConfig(role=Role.ASSISTANT)]) as clients:
        client = clients[Role.ASSISTANT]
        server = client.server
        assert server is not None and server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        started = time.monotonic()
        with pytest.raises(EmbeddedModelError, match=r"the llama.cpp server exited \(code -9; see its log: "):
            await client.chat([{"role": "user", "content": "hi"}])
        assert time.monotonic() - started < 1.0
        assert server.log_path.exists()
    server.log_path.unlink()


async def test_a_clean_stop_removes_the_log() -> None:
    async with EmbeddedServer() as server:
        assert server.log_path.exists()
    assert not server.log_path.exists()


def test_model_serve_exits_when_its_server_dies() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "button.cli.main", "model", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith("http://127.0.0.1:")
    log = re.search(r"log: (\S+\.log)", process.stdout.readline())
    assert log is not None
    children = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) == 1
    os.kill(int(children[0]), signal.SIGKILL)
    assert process.wait(timeout=30) == 1
    assert (
        process.stderr.read().strip()
        == f"error: embedded model: the llama.cpp server exited (code -9; see its log: {log.group(1)})"
    )
    os.unlink(log.group(1))
