"""Talking to models: one ``ModelClient`` per role, all through ``openai.AsyncOpenAI``.

``open_models`` resolves the roles' endpoints, starting the embedded server
once if any role needs it, and stops it at exit. ``ModelClient`` counts the
tokens of its role, retries transient failures (429, 5xx, timeouts, lost
connections: the openai client's own exponential backoff, ``--<role>-retries``
times, each try at most ``--<role>-timeout`` seconds), and is the one boundary
for what comes back: openai's errors and any answer that is not a chat
completion (``button.llm.completion``) become ``ModelError`` here, and what we send
has its lone surrogates replaced, so no endpoint and no task text can raise
anything else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx2
import openai

from button.data_model.json_types import ChatMessage, ChatRequest, JsonSchema, ToolChoice, ToolDefinition
from button.data_model.trajectory import EndpointInfo, Usage
from button.embedded.catalog import embedded_model
from button.embedded.model_server import EmbeddedServer
from button.errors import ConfigError, ModelError, clip
from button.llm.completion import Completion, read_completion, request_body
from button.llm.endpoints import EndpointConfig, Role, is_embedded_name
from button.llm.structured import JSON_OBJECT_SCHEMA, StructuredOutput, grammar_safe
from button.redact import clean, public_url


@dataclass
class ChatResult:
    """One assistant message in OpenAI chat format, and what it cost."""

    message: ChatMessage
    usage: Usage
    latency_s: float
    finish_reason: str | None


class ModelClient:
    """The model of one role."""

    def __init__(self, config: EndpointConfig, base_url: str, server: EmbeddedServer | None = None) -> None:
        self.config = config
        self.server = server  # the embedded server behind this client, if any
        self.role = config.role
        self.base_url = base_url
        self.model = config.model or ""
        self.usage = Usage()
        # Credentials in the URL are not sent: the key goes in the Authorization header, and
        # aiohttp refuses a request that has both.
        parts = urlsplit(base_url)
        self.client = openai.AsyncOpenAI(
            base_url=urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])),
            api_key=config.api_key(),
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            http_client=openai.DefaultAioHttpClient(),
        )
        self.structured = StructuredOutput(self, embedded=config.embedded)

    @property
    def llama_cpp(self) -> bool:
        """A llama-cpp-python server (see ``grammar_safe``)."""
        return (
            self.config.embedded or is_embedded_name(self.model) or self.structured.mode == JSON_OBJECT_SCHEMA
        )

    @property
    def info(self) -> EndpointInfo:
        return EndpointInfo(model=self.model, base_url=public_url(self.base_url))

    async def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: list[ToolDefinition] | None = None,
        tool_choice: ToolChoice | None = None,
        **extra: Any,
    ) -> ChatResult:
        """One chat completion; the reply as a plain message dict."""
        started = time.monotonic()
        response = await self.create(messages, tools=tools, tool_choice=tool_choice, **extra)
        usage = Usage.of_response(response)
        self.usage.add(usage)
        choice = response.choices[0] if response.choices else None
        message: ChatMessage = {"role": "assistant", "content": None}
        if choice is not None:
            message["content"] = choice.message.content
            calls = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in choice.message.tool_calls or []
                if call.type == "function"
            ]
            if calls:
                message["tool_calls"] = calls
        return ChatResult(
            message=message,
            usage=usage,
            latency_s=time.monotonic() - started,
            finish_reason=choice.finish_reason if choice else None,
        )

    async def create(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: list[ToolDefinition] | None = None,
        tool_choice: ToolChoice | None = None,
        retry: bool = True,
        **extra: Any,
    ) -> Completion:
        """The checked chat completion; anything else becomes ``ModelError``."""
        kwargs: ChatRequest = {"model": self.model, "messages": list(messages), **extra}
        if tools:
            kwargs["tools"] = tools
            if tool_choice is not None:
                kwargs["tool_choice"] = tool_choice
        if self.config.temperature is not None:
            kwargs.setdefault("temperature", self.config.temperature)
        if self.config.max_tokens is not None:
            kwargs.setdefault("max_tokens", self.config.max_tokens)
        if self.llama_cpp:
            for key in ("tools", "response_format"):
                if key in kwargs:
                    kwargs[key] = grammar_safe(kwargs[key])
        if self.server is not None and not self.server.alive():
            raise self.server.exit_error()  # no point retrying a dead local server
        client = self.client if retry else self.client.with_options(max_retries=0)
        try:
            raw = await client.post(
                "/chat/completions",
                cast_to=httpx2.Response,
                content=request_body(kwargs),
                options={"headers": {"Content-Type": "application/json"}},
            )
        except openai.OpenAIError as error:
            raise self._model_error(error, f" ({self._tries(retry)})") from error
        try:
            return read_completion(raw.status_code, raw.headers.get("content-type", ""), raw.content)
        except ModelError as error:
            error.what, error.where = clean(error.what), self._where()
            raise

    async def check(self) -> None:
        """That the endpoint answers: its model list, else (no ``/models`` there) a 1-token
        completion; one quick try each. ``ModelError`` saying why not. A server that takes
        the connection but is slow to list is busy, not broken (llama-cpp-python's serves one
        request at a time, the model list included, so a shared `button model serve` running
        another command's generation failed this check)."""
        quick = self.client.with_options(max_retries=0, timeout=min(self.config.timeout_s, 15.0))
        try:
            await quick.models.with_raw_response.list()
            return
        except openai.APITimeoutError as error:
            if _lost_connection(error) is None:
                return  # busy, not broken
            raise self._model_error(error) from error  # aiohttp's refused connection, as a timeout
        except openai.APIStatusError as error:
            if error.status_code not in {404, 405, 501}:
                raise self._model_error(error) from error
        except openai.OpenAIError as error:
            raise self._model_error(error) from error
        await self.create([{"role": "user", "content": "ping"}], retry=False, max_tokens=1)

    def _model_error(self, error: openai.OpenAIError, tries: str = "") -> ModelError:
        """An openai error as our ``ModelError`` (keys and URL credentials removed, text clipped)."""
        lost = _lost_connection(error)
        if lost is not None:
            return ModelError(f"cannot reach the endpoint{tries}: {clean(str(lost))}", where=self._where())
        if isinstance(error, openai.APITimeoutError):
            return ModelError(f"no answer within {self.config.timeout_s:g} s{tries}", where=self._where())
        if isinstance(error, openai.APIStatusError):
            return ModelError(f"HTTP {error.status_code}: {clip(clean(error.message))}", where=self._where())
        if isinstance(error, openai.APIConnectionError):
            return ModelError(f"cannot reach the endpoint{tries}: {clean(str(error))}", where=self._where())
        return ModelError(clip(clean(str(error))), where=self._where())

    def _tries(self, retry: bool) -> str:
        tries = 1 + (self.config.max_retries if retry else 0)
        return f"{tries} {'try' if tries == 1 else 'tries'}"

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: JsonSchema,
        *,
        name: str = "result",
        **extra: Any,
    ) -> tuple[Any, Usage]:
        """A JSON value that validates against ``schema`` (see ``button.llm.structured``);
        ``extra`` request parameters (``seed``, ``top_p``, ...) go to every try."""
        return await self.structured.complete(messages, schema, name=name, **extra)

    def _where(self) -> str:
        return f"{self.role.value} model {self.model!r} at {public_url(self.base_url)}"


def _lost_connection(error: BaseException) -> BaseException | None:
    """The refused or dropped connection behind an error, if that is what it was and not a
    timeout: the aiohttp transport reports both as connect timeouts."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None:
        chain.append(link)
        link = link.__cause__
    if any(isinstance(link, TimeoutError) for link in chain):
        return None
    return next((link for link in chain if isinstance(link, aiohttp.ClientConnectionError)), None)


async def preflight(configs: Sequence[EndpointConfig]) -> None:
    """Before any work: every configured (non-embedded) endpoint answers, checked at once;
    a broken one is a ``ConfigError`` naming its flag."""

    async def one(config: EndpointConfig) -> None:
        assert config.base_url is not None
        client = ModelClient(config, config.base_url)
        try:
            await client.check()
        except ModelError as error:
            raise ConfigError(f"{error}", where=f"--{config.role.value}-base-url") from None
        finally:
            await client.client.close()

    remote = [config for config in configs if config.base_url]
    results = await asyncio.gather(*(one(config) for config in remote), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


@asynccontextmanager
async def open_models(configs: Sequence[EndpointConfig]) -> AsyncIterator[dict[Role, ModelClient]]:
    """Clients for the given roles; the embedded server runs while the block runs."""
    server: EmbeddedServer | None = None
    clients: dict[Role, ModelClient] = {}
    try:
        wanted = {config.model for config in configs if config.embedded}
        if len(wanted) > 1:
            raise ConfigError(
                f"one embedded model per command, not {sorted(map(str, wanted))}", where="--embedded"
            )
        if wanted:
            server = EmbeddedServer(embedded_model(wanted.pop()))
            await server.start()
        clients = {
            config.role: (
                ModelClient(config, config.base_url)
                if config.base_url
                else ModelClient(config, server.base_url, server)  # type: ignore[union-attr]
            )
            for config in configs
        }
        yield clients
    finally:
        for client in clients.values():  # on this event loop, not at garbage collection
            await client.client.close()
        if server is not None:
            await server.aclose()
