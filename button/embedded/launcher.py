"""Start llama-cpp-python's server with two upstream faults of its tool-calling format fixed.

llama-cpp-python 0.3.36's ``chatml-function-calling`` handler:

1. renders its chat template with HTML autoescaping on, so every quote, ``<``,
   ``>`` and ``&`` reaches the model as an entity (``"`` -> ``&#34;``) and the
   model copies the entities into its answers (JSON included);
2. drops the request's ``max_tokens`` whenever tools are offered, so a small
   model can write tool arguments until its context is full (we saw 3,489
   tokens and 160 s for one call);
3. drops the request's ``seed`` always (it lands in the handler's ``**kwargs``),
   so every completion samples with a fresh random seed.

This launcher turns autoescaping off for the chat templates, and hands that
handler a model whose completions keep the request's limit and seed; then it
runs the server's own ``main()`` with the same command line:

    python -m button.llama_launcher --model FILE --chat_format chatml-function-calling ...
"""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment
from llama_cpp import llama_chat_format
from llama_cpp.server.__main__ import main

FORMAT = "chatml-function-calling"


class _PlainTextEnvironment(ImmutableSandboxedEnvironment):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["autoescape"] = False
        super().__init__(*args, **kwargs)


class _RequestModel:
    """The model as the handler sees it: completions get the request's ``max_tokens``
    and ``seed`` where the handler left them out."""

    def __init__(self, model: Any, limit: int | None, seed: int | None) -> None:
        self._model = model
        self._limit = limit
        self._seed = seed

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("max_tokens") is None and self._limit:
            kwargs["max_tokens"] = self._limit
        if kwargs.get("seed") is None and self._seed is not None:
            kwargs["seed"] = self._seed
        return self._model.create_completion(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _keeping_the_request(handler: Any) -> Any:
    def keeping(*, llama: Any, max_tokens: int | None = None, seed: int | None = None, **kwargs: Any) -> Any:
        model = _RequestModel(llama, max_tokens, seed) if max_tokens or seed is not None else llama
        return handler(llama=model, max_tokens=max_tokens, **kwargs)

    return keeping


def run() -> None:
    llama_chat_format.ImmutableSandboxedEnvironment = _PlainTextEnvironment  # type: ignore[attr-defined]
    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()  # type: ignore[no-untyped-call]
    handler = registry.get_chat_completion_handler_by_name(FORMAT)
    registry.register_chat_completion_handler(FORMAT, _keeping_the_request(handler), overwrite=True)
    main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    run()
