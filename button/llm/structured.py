"""Structured JSON output that works on every OpenAI-compatible endpoint.

OpenAI-style endpoints take ``response_format: {"type": "json_schema", ...}``.
llama-cpp-python's server rejects that (HTTP 500, "Input should be 'text' or
'json_object'") and takes ``{"type": "json_object", "schema": {...}}``, which
it turns into a grammar. We try ``json_schema`` once per endpoint and fall
back for good when the endpoint refuses it; the embedded server starts on the
fallback. The probe is one call at a time per client (the others wait for
its verdict), and an outage during it (429, 5xx without a word about the
format, a timeout) is retried like every other call. Whatever comes back is parsed and validated with jsonschema, and a
bad answer is asked for again a bounded number of times.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import openai

from button.data_model.json_types import ChatMessage, ChatRequest, JsonSchema, ResponseFormat
from button.data_model.trajectory import Usage
from button.errors import ModelError, StructuredOutputError
from button.llm.completion import Completion
from button.llm.endpoints import Role
from button.validation.schemas import first_error

JSON_SCHEMA = "json_schema"
JSON_OBJECT_SCHEMA = "json_object+schema"


class ChatClient(Protocol):
    """What structured output needs of a model client (``button.llm.client.ModelClient``, which
    holds a ``StructuredOutput``: this protocol keeps the import one way)."""

    role: Role
    base_url: str
    model: str
    usage: Usage

    async def create(
        self, messages: Sequence[ChatMessage], *, retry: bool = True, **extra: Any
    ) -> Completion: ...


class StructuredOutput:
    """Asks one endpoint for JSON that validates against a schema."""

    # base URL -> the response_format kind the server there takes (learned once
    # per process: a server refuses or takes the format whatever the model)
    known_modes: ClassVar[dict[str, str]] = {}

    def __init__(self, client: ChatClient, *, embedded: bool, attempts: int = 3) -> None:
        self.client = client
        self.attempts = attempts
        self.probing = asyncio.Lock()
        if embedded:
            self.known_modes[client.base_url] = JSON_OBJECT_SCHEMA

    @property
    def mode(self) -> str | None:
        return self.known_modes.get(self.client.base_url)

    async def complete(
        self, messages: Sequence[ChatMessage], schema: JsonSchema, *, name: str, **extra: Any
    ) -> tuple[Any, Usage]:
        """A value valid against ``schema``; ``StructuredOutputError`` after the last try.

        ``extra`` goes to ``create``. An integer ``seed`` is advanced by one on each
        retry: the same seed would sample the same bad answer again.
        """
        usage = Usage()
        problem = ""
        seed = extra.get("seed")
        for attempt in range(self.attempts):
            if isinstance(seed, int):
                extra["seed"] = seed + attempt
            response = await self._ask(messages, schema, name, extra)
            usage.add(Usage.of_response(response))
            text = response.choices[0].message.content
            try:
                value = parse_json(text or "")
            except ValueError as error:
                problem = f"not JSON: {error}"
                continue
            mismatch = first_error(schema, value)
            if mismatch is None:
                self.client.usage.add(usage)
                return value, usage
            field, message = mismatch
            problem = f"{field or '(top level)'}: {message}"
        self.client.usage.add(usage)
        failure = StructuredOutputError(
            f"no valid {name!r} after {self.attempts} tries; last problem: {problem}",
            where=f"{self.client.role.value} model {self.client.model!r}",
        )
        failure.usage = usage
        raise failure

    async def _ask(
        self, messages: Sequence[ChatMessage], schema: JsonSchema, name: str, extra: ChatRequest
    ) -> Completion:
        if self.mode is None:
            async with self.probing:
                if self.mode is None:
                    return await self._probe(messages, schema, name, extra)
        if self.mode == JSON_OBJECT_SCHEMA:
            return await self.client.create(
                messages, response_format={"type": "json_object", "schema": schema}, **extra
            )
        return await self.client.create(messages, response_format=_json_schema_format(name, schema), **extra)

    async def _probe(
        self, messages: Sequence[ChatMessage], schema: JsonSchema, name: str, extra: ChatRequest
    ) -> Completion:
        """The first structured call to an unknown endpoint: one try without retries, so that
        a refusal of the format (the fallback's cue) is seen at once; any other failure is
        retried as every call is."""
        json_schema_format = _json_schema_format(name, schema)
        try:
            response = await self.client.create(
                messages, response_format=json_schema_format, retry=False, **extra
            )
        except ModelError as error:
            if _refuses_json_schema(error):
                self.known_modes[self.client.base_url] = JSON_OBJECT_SCHEMA
                return await self._ask(messages, schema, name, extra)
            if not _transient(error):
                raise
            response = await self.client.create(messages, response_format=json_schema_format, **extra)
        self.known_modes[self.client.base_url] = JSON_SCHEMA
        return response


def parse_json(text: str) -> Any:
    """Parse a model's JSON answer, tolerating a Markdown code fence around it."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise ValueError(f"{error.msg} at column {error.colno}") from error


def grammar_safe(value: Any) -> Any:
    """``value`` with each regex ``pattern`` in a form llama.cpp's grammar builder takes, or left out.

    llama-cpp-python turns tool parameters and response schemas into a grammar.
    A backslash escape such as ``\\d`` in a ``pattern`` crashes the server
    (segfault, verified with 0.3.36), so the common escapes are rewritten as
    character classes (``\\d``: ``[0-9]``, ``\\w``: ``[A-Za-z0-9_]``, ``\\.``:
    ``[.]``); a pattern with any other escape, or a lookaround, is left out. So is
    a pattern beside ``minLength``/``maxLength``, which it would replace in the
    grammar. We validate with jsonschema on our side anyway, every pattern included.
    """
    if isinstance(value, dict):
        safe: dict[str, Any] = {}
        for key, inner in value.items():
            if key == "pattern" and isinstance(inner, str):
                rewritten = _grammar_pattern(inner)
                if rewritten is not None and not {"minLength", "maxLength"} & value.keys():
                    safe[key] = rewritten
            elif not (key == "patternProperties" and isinstance(inner, dict)):
                safe[key] = grammar_safe(inner)
        return safe
    if isinstance(value, list):
        return [grammar_safe(inner) for inner in value]
    return value


_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_"}


def _grammar_pattern(pattern: str) -> str | None:
    """``pattern`` without backslash escapes, or None when it needs one (or has a lookaround)."""
    if "(?" in pattern:
        return None
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if escaped in _CLASSES:
                out.append(_CLASSES[escaped] if in_class else f"[{_CLASSES[escaped]}]")
            elif escaped and not escaped.isalnum() and not in_class and escaped not in "\\]^":
                out.append(f"[{escaped}]")  # an escaped punctuation mark, as a one-character class
            else:
                return None
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def _refuses_json_schema(error: ModelError) -> bool:
    cause = error.__cause__
    if not isinstance(cause, openai.APIStatusError) or cause.status_code not in {400, 422, 500}:
        return False
    text = str(cause.message).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object"))


def _transient(error: ModelError) -> bool:
    """A failure worth another try: a timeout, a lost connection, 408, 409, 429 or a 5xx."""
    cause = error.__cause__
    if isinstance(cause, openai.APIStatusError):
        return cause.status_code in {408, 409, 429} or cause.status_code >= 500
    return isinstance(cause, openai.APIConnectionError)


def _json_schema_format(name: str, schema: JsonSchema) -> ResponseFormat:
    return {
        "type": "json_schema",
        "json_schema": {"name": _format_name(name), "schema": schema, "strict": False},
    }


def _format_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
    return cleaned[:64] or "result"
