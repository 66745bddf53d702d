"""``button model serve|check``: run the embedded model; check any endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from button.cli.arg_types import port_number
from button.cli.interrupts import run_async
from button.llm.endpoints import Role, add_embedded_flag, add_endpoint_flags, endpoint_from_args

console = Console(highlight=False, soft_wrap=True)

CHECK_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CHECK_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature_c": {"type": "number"},
        "sunny": {"type": "boolean"},
    },
    "required": ["city", "temperature_c", "sunny"],
}


def register(subparsers: Any) -> None:
    model = subparsers.add_parser(
        "model",
        help="run the embedded model server; check an endpoint",
        description="The embedded models (Qwen2.5-Coder-1.5B-Instruct by default, SmolLM2-135M "
        "for fast smoke tests), known by sha256 and served by llama-cpp-python, and endpoint checks.",
        epilog="examples:\n  button model list\n  button model serve --port 8080\n  button model check",
    )
    commands = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    listing = commands.add_parser(
        "list",
        help="the embedded models: name, file, sha256, and where the file is",
        description="List the catalog of embedded models with their identity (file, size, sha256) "
        "and where each one's file would come from on this machine. Reads no model file.",
        epilog="example:\n  button model list",
    )
    listing.set_defaults(handler=lambda args: list_command())
    serve = commands.add_parser(
        "serve",
        help="serve the embedded model on 127.0.0.1 until interrupted",
        description="Start llama-cpp-python's OpenAI-compatible server with the embedded model's "
        "verified GGUF file on 127.0.0.1 (the model's own chat template; tool calls come back as "
        "OpenAI tool_calls), wait until it answers, print its base URL, and keep it up until Ctrl-C. "
        "The first use of a model assembles its file into the cache, with a progress bar.",
        epilog="example:\n  button model serve --port 8080\n"
        "  BUTTON_ASSISTANT_BASE_URL=http://127.0.0.1:8080/v1 "
        "BUTTON_ASSISTANT_MODEL=qwen2.5-coder-1.5b button model check",
    )
    serve.add_argument("--port", type=port_number, help="port to listen on (default: a free one)")
    add_embedded_flag(serve)
    serve.set_defaults(handler=lambda args: run_async(serve_command(args)))
    check = commands.add_parser(
        "check",
        help="try a chat, a forced tool call and a structured output on an endpoint",
        description="Make three calls to the assistant endpoint (the embedded model by default): "
        "a plain chat completion, a forced tool call, and a JSON output constrained to a "
        "schema. Prints what came back; exits 1 if a call fails.",
        epilog="examples:\n  button model check\n"
        "  button model check --assistant-base-url http://localhost:11434/v1 "
        "--assistant-model qwen2.5:7b",
    )
    add_endpoint_flags(check, Role.ASSISTANT)
    check.set_defaults(handler=lambda args: run_async(check_command(args)))


def list_command() -> int:
    from rich.table import Table

    from button.embedded.catalog import CATALOG, DEFAULT_MODEL
    from button.embedded.model_files import availability

    table = Table("name", "file", "bytes", "sha256", "where", box=None)
    for name, model in CATALOG.items():
        shown = f"{name} (default)" if name == DEFAULT_MODEL else name
        table.add_row(
            shown,
            model.file_name,
            f"{model.size:,}",
            f"{str(model.sha256)[:12]}…",
            escape(availability(model)),
        )
    console.print(table)
    return 0


async def serve_command(args: argparse.Namespace) -> int:
    from button.embedded.catalog import embedded_model
    from button.embedded.model_server import EmbeddedServer

    async with EmbeddedServer(embedded_model(args.embedded), port=args.port) as server:
        console.print(server.base_url, markup=False)
        console.print(
            f"[dim]model name: {escape(server.model.name)}; log: {server.log_path}; Ctrl-C stops it[/]"
        )
        while server.alive():
            await asyncio.sleep(1.0)
        raise server.exit_error()
    return 0


async def check_command(args: argparse.Namespace) -> int:
    from button.llm.client import open_models

    config = endpoint_from_args(args, Role.ASSISTANT)
    async with open_models([config]) as clients:
        client = clients[Role.ASSISTANT]
        console.print(f"endpoint: {client.base_url}  model: {client.model}")
        chat = await client.chat([{"role": "user", "content": "Say hello in five words."}])
        console.print(f"[bold]chat[/]: {escape(repr(chat.message['content']))}  ({chat.latency_s:.2f}s)")
        forced = await client.chat(
            [{"role": "user", "content": "What is the weather in Lisbon?"}],
            tools=[CHECK_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )
        calls = forced.message.get("tool_calls") or []
        shown = [(call["function"]["name"], call["function"]["arguments"]) for call in calls]
        console.print(f"[bold]forced tool call[/]: {escape(str(shown))}")
        value, _ = await client.complete_json(
            [{"role": "user", "content": "Report the weather in Lisbon as JSON."}],
            CHECK_SCHEMA,
            name="weather",
        )
        console.print(f"[bold]structured output[/]: {escape(json.dumps(value))}")
        console.print(f"tokens: {client.usage.total_tokens} in {client.usage.requests} requests")
        return 0 if calls else 1
