"""An MCP session over streamable HTTP written by hand: requests go as the exact text given,
so tests can send what no MCP client would (a repeated key, a 100,000-deep value)."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

import httpx2

PROTOCOL = "2025-06-18"
HELLO = {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}


def call_text(request_id: int, name: str, arguments: str) -> str:
    """A tools/call request as text, with the arguments spliced in exactly as given."""
    return (
        f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/call", '
        f'"params": {{"name": {json.dumps(name)}, "arguments": {arguments}}}}}'
    )


class RawSession:
    """``async with RawSession(url) as session: await session.call("tool", '{"a": 1}')``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        self.http = httpx2.AsyncClient(headers=self.headers, timeout=60)
        self.ids = 1

    async def __aenter__(self) -> RawSession:
        hello = await self.http.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}
        )
        self.headers["Mcp-Session-Id"] = hello.headers.get("mcp-session-id", "")
        self.headers["Mcp-Protocol-Version"] = PROTOCOL
        await self.post(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()

    async def post(self, text: str) -> tuple[int, dict[str, Any] | None]:
        """The HTTP status and the JSON-RPC message that answers (as JSON or as an event stream)."""
        response = await self.http.post(self.url, content=text, headers=self.headers)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
            return response.status_code, json.loads(data[-1]) if data else None
        return response.status_code, json.loads(response.text) if response.text else None

    async def call(self, name: str, arguments: str) -> tuple[int, dict[str, Any] | None]:
        self.ids += 1
        return await self.post(call_text(self.ids, name, arguments))
