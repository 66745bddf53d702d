"""Shared fixtures: real embedded llama.cpp servers, started once per test session.

Plumbing runs on the tiny model (SmolLM2-135M: ``BUTTON_EMBEDDED`` is set for the
whole session, subprocesses included); tests where the model's quality is the
point (marked ``quality``) use the default 1.5B model through ``button model serve``.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from button.embedded.model_server import EmbeddedServer

TINY_MODEL = "smollm2-135m"
QUALITY_MODEL = "qwen2.5-coder-1.5b"
os.environ["BUTTON_EMBEDDED"] = TINY_MODEL

from button.llm.endpoints import Role  # noqa: E402  (after the environment it reads)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
TASKS_FILE = FIXTURES / "tasks.jsonl"
BUTTON = str(Path(sys.executable).with_name("button"))  # the installed command, for subprocess tests


async def ticks_while(work: asyncio.Future[Any]) -> int:
    """How often a 10 ms ticker ran on the loop until ``work`` finished: about a hundred a
    second when ``work`` waits off the loop, none when it blocks the loop."""
    count = 0
    while not work.done():
        await asyncio.sleep(0.01)
        count += 1
    return count


@pytest.fixture(scope="session")
async def embedded_base_url() -> AsyncIterator[str]:
    """The base URL of the real embedded tiny model server, started once per session."""
    async with EmbeddedServer() as server:
        yield server.base_url


@pytest.fixture(scope="session")
def quality_base_url() -> Iterator[str]:
    """The default 1.5B model, served by ``button model serve`` as a user would run it."""
    command = [sys.executable, "-m", "button.cli.main", "model", "serve", "--embedded", QUALITY_MODEL]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/v1", first)
        if found is None:
            server.kill()
            raise RuntimeError(f"button model serve did not start: {first}{server.communicate()[1]}")
        yield found.group(0)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def model_env(embedded_base_url: str) -> dict[str, str]:
    """Environment that points every role at the session's embedded server.

    Subprocess commands given this environment use the already running server
    instead of starting their own (one server: it serves one request at a time).
    """
    env = dict(os.environ)
    for role in Role:
        env[f"BUTTON_{role.value.upper()}_BASE_URL"] = embedded_base_url
        env[f"BUTTON_{role.value.upper()}_MODEL"] = TINY_MODEL
    return env


@pytest.fixture
def use_embedded_for_all_roles(model_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point every role of in-process commands at the session's embedded server."""
    for key, value in model_env.items():
        if key.startswith("BUTTON_"):
            monkeypatch.setenv(key, value)
    yield
