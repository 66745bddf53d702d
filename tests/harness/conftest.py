"""Harness test fixtures: the small real MCP test server over streamable HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from button.embedded.model_server import free_port

TOOLS_SERVER = Path(__file__).with_name("tools_server.py")
TOOLS_COMMAND = f"{sys.executable} {TOOLS_SERVER}"


@pytest.fixture(scope="session")
def tools_url() -> Iterator[str]:
    """The URL of tools_server.py served over streamable HTTP in a subprocess."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(TOOLS_SERVER), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=1)
            break
        except httpx2.TransportError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
