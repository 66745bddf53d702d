"""What OpenAI clients send, rewritten into what llama-cpp-python's server accepts.

The server validates chat requests against its own narrower types and answers
HTTP 500 to requests that every agent framework sends. This ASGI wrapper
rewrites the JSON body of ``POST /v1/chat/completions`` before the server sees it:

- an assistant message with ``content: null`` (it only calls tools) gets ``""``;
- a list of content parts in a system, assistant or tool message becomes its text;
- ``tool_choice`` ``{"type": "allowed_tools", ...}`` becomes the tools it allows,
  with ``"auto"``, ``"required"``, or the one tool named when only one is allowed;
- ``response_format`` ``{"type": "json_schema", ...}`` becomes
  ``{"type": "json_object", "schema": ...}``, the form the server constrains by.

A body that is not a JSON object is passed on untouched, for the server to refuse.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from button.data_model.json_types import ChatRequest
from button.embedded.chat_template import content_text

CHAT_PATH = "/v1/chat/completions"


def rewrite_request(body: ChatRequest) -> ChatRequest:
    """The request body in the server's accepted form (a new dict; ``body`` is not changed)."""
    rewritten = dict(body)
    messages = body.get("messages")
    if isinstance(messages, list):
        rewritten["messages"] = [_message(message) for message in messages]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        rewritten.update(_allowed_tools(body.get("tools") or [], choice))
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        rewritten["response_format"] = {"type": "json_object", "schema": schema}
    return rewritten


def _message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    role, content = message.get("role"), message.get("content")
    if role == "assistant" and content is None:
        return {**message, "content": ""}
    if role in {"system", "developer", "assistant", "tool"} and isinstance(content, list):
        return {**message, "content": content_text(content)}
    return message


def _allowed_tools(tools: list[Any], choice: dict[str, Any]) -> ChatRequest:
    allowed = choice.get("allowed_tools") or choice
    names = {
        (tool.get("function") or {}).get("name") or tool.get("name")
        for tool in allowed.get("tools") or []
        if isinstance(tool, dict)
    }
    kept = [
        tool for tool in tools if isinstance(tool, dict) and (tool.get("function") or {}).get("name") in names
    ]
    if allowed.get("mode") != "required":
        return {"tools": kept, "tool_choice": "auto"}
    if len(kept) == 1:
        return {
            "tools": kept,
            "tool_choice": {"type": "function", "function": {"name": kept[0]["function"]["name"]}},
        }
    return {"tools": kept, "tool_choice": "required"}


class OpenAIRequestCompat:
    """ASGI middleware applying ``rewrite_request`` to chat completion requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or scope.get("path") != CHAT_PATH:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            event = await receive()
            if event["type"] != "http.request":
                break
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            body = json.dumps(rewrite_request(parsed)).encode()
        headers = [
            (key, value) for key, value in scope.get("headers", []) if key.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return dict(await receive())  # disconnects reach the app as they come
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)
