"""A real HTTP server speaking the OpenAI chat completions API, with scripted replies.

For deterministic tests of loop logic (and the throughput benchmark): a
``responder`` turns each request body into a ``Reply``, the server waits
``latency_s`` and answers as an OpenAI endpoint would (or with an HTTP error).
Replies must depend only on the request, since conversations interleave.
Runs in a thread, so it serves in-process code and subprocesses alike. Every
answer reports a known usage (a quarter of the prompt's characters as prompt
tokens, a third of those as cached, 7 completion tokens), kept in ``usage``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, JSON arguments)
    status: int = 200  # anything else: an HTTP error with a retry-after-ms hint
    # faults: answer with this body as it is (with ``status``), after hanging, or drop the connection
    raw: bytes | None = None
    content_type: str = "application/json"
    hang_s: float = 0.0
    drop: bool = False


Responder = Callable[[dict[str, Any]], Reply]


def say(text: str) -> Reply:
    return Reply(content=text)


def call(*calls: tuple[str, dict[str, Any] | str]) -> Reply:
    """Tool calls; arguments as a dict (sent as JSON) or a raw string (sent as is)."""
    return Reply(tool_calls=[(name, a if isinstance(a, str) else json.dumps(a)) for name, a in calls])


def user_turn(message: str, stop: bool) -> Reply:
    return Reply(content=json.dumps({"message": message, "stop": stop}))


def is_user_request(body: dict[str, Any]) -> bool:
    """A user-simulator request (structured output named ``user_turn``)."""
    return "user_turn" in json.dumps(body.get("response_format") or {})


def opening(body: dict[str, Any]) -> bool:
    """The user simulator is asked for its first message."""
    return "has not started" in body["messages"][-1]["content"]


def assistant_turns(body: dict[str, Any]) -> int:
    """How many assistant messages the conversation holds so far."""
    return sum(1 for message in body["messages"] if message["role"] == "assistant")


def tool_results(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


class ScriptedOpenAI:
    """``with ScriptedOpenAI(responder) as server: server.base_url``."""

    def __init__(
        self,
        responder: Responder,
        *,
        latency_s: float = 0.0,
        model: str = "scripted",
        stable_ids: bool = False,
    ) -> None:
        self.responder = responder
        self.latency_s = latency_s
        self.model = model
        self.stable_ids = stable_ids  # tool-call ids from the request, not the order requests came in
        self.requests: list[dict[str, Any]] = []
        self.usage: list[dict[str, Any]] = []  # the usage reported in each answer
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def env(self, *roles: str) -> dict[str, str]:
        """Environment variables pointing these roles at this server."""
        found: dict[str, str] = {}
        for role in roles:
            found[f"BUTTON_{role.upper()}_BASE_URL"] = self.base_url
            found[f"BUTTON_{role.upper()}_MODEL"] = self.model
        return found

    def __enter__(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and payload the server sends for ``body`` (faults aside)."""
        return self.reply_to(body, self.responder(body))

    def reply_to(self, body: dict[str, Any], reply: Reply) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            number = next(self._ids)
        if reply.status != 200:
            return reply.status, {
                "error": {"message": f"scripted HTTP {reply.status}", "type": "server_error"}
            }
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            stem = hashlib.sha256(json.dumps(body["messages"]).encode()).hexdigest()[:12]
            message["tool_calls"] = [
                {
                    "id": f"call_{stem if self.stable_ids else number}_{i}",
                    "type": "function",
                    "function": {"name": n, "arguments": a},
                }
                for i, (n, a) in enumerate(reply.tool_calls)
            ]
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in body["messages"]) // 4
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": 7,
            "total_tokens": prompt_tokens + 7,
            "prompt_tokens_details": {"cached_tokens": prompt_tokens // 3},
        }
        with self._lock:
            self.usage.append(usage)
        return 200, {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": usage,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                """``GET /v1/models``: the one model this server plays."""
                data = json.dumps({"object": "list", "data": [{"id": scripted.model, "object": "model"}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if scripted.latency_s:
                    time.sleep(scripted.latency_s)
                reply = scripted.responder(body)
                if reply.hang_s:
                    time.sleep(reply.hang_s)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, payload = scripted.reply_to(body, reply)
                data = json.dumps(payload).encode() if reply.raw is None else reply.raw
                self.send_response(status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                if status != 200:
                    self.send_header("retry-after-ms", "10")
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped waiting
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: no access log on stderr."""

        return Handler
