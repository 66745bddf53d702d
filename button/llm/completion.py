"""What a chat completion endpoint answered, checked before anything else reads it.

``read_completion`` takes the raw HTTP answer of an OpenAI-compatible endpoint
and returns a ``Completion`` or raises ``ModelError`` saying what was wrong: an
empty body, a body that is not JSON (an HTML error page), JSON that is not a
chat completion, a body too large or too deep. Text is made safe to record on
the way in: a lone surrogate (not valid Unicode) becomes U+FFFD, here and in
everything we send (``request_body``, ``scrub``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from button.data_model.json_types import ChatRequest
from button.errors import ModelError, clip

MAX_BODY_BYTES = 16 * 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FunctionCall(_Lenient):
    name: str
    arguments: str = ""


class ToolCall(_Lenient):
    id: str = ""
    type: str = "function"
    function: FunctionCall


class Message(_Lenient):
    content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(_Lenient):
    message: Message
    finish_reason: str | None = None


class PromptTokensDetails(_Lenient):
    cached_tokens: int | None = 0


class CompletionUsage(_Lenient):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    prompt_tokens_details: PromptTokensDetails | None = None


class Completion(_Lenient):
    """The parts of a chat completion we use (attribute names as in openai's types)."""

    choices: list[Choice] = Field(min_length=1)
    usage: CompletionUsage | None = None


def read_completion(status: int, content_type: str, body: bytes) -> Completion:
    """The completion in an HTTP answer; ``ModelError`` (no ``where``) when there is none."""
    answered = f"HTTP {status}"
    if not body.strip():
        raise ModelError(f"{answered} with an empty body, not a chat completion")
    if len(body) > MAX_BODY_BYTES:
        raise ModelError(f"{answered} with a body of {len(body):,} bytes (more than {MAX_BODY_BYTES:,})")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        text = body[:400].decode("utf-8", "replace")
        raise ModelError(
            f"{answered} with a body that is not JSON ({content_type or 'no content type'}, "
            f"{len(body):,} bytes): {clip(text, 200)}"
        ) from None
    try:
        return Completion.model_validate(scrub(data))
    except RecursionError:
        raise ModelError(f"{answered} with JSON nested too deeply to be a chat completion") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ModelError(
            f"{answered} with JSON that is not a chat completion: {where}: {first['msg']}"
        ) from None


def request_body(params: ChatRequest) -> bytes:
    """A request's JSON body as UTF-8, lone surrogates replaced.

    Serialized here once, in C, and sent as bytes: the openai client's own path
    walks every message and tool schema of the request in Python against its
    typed parameters (about a third of the harness's CPU per conversation step),
    which for plain JSON changes nothing. The Python walk of ``scrub`` runs
    only when the fast encoding finds a lone surrogate."""
    try:
        return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(scrub(params), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def scrub(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD (JSON-like values)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {scrub(key): scrub(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(inner) for inner in value]
    return value
