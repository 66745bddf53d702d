"""The embedded server process: llama-cpp-python's OpenAI-compatible server with our chat handler.

    python -m button.embedded.launcher --model FILE --alias NAME --port N [--n-ctx N]

The handler (``button.embedded.chat_handler``) is registered under its format
name through llama-cpp-python's handler registry, the app is built with its
public ``create_app``, wrapped so that it takes what OpenAI clients send
(``button.embedded.request_compat``), and served by uvicorn on 127.0.0.1. Nothing of
llama-cpp-python is patched; ``check_upstream`` names any public piece that has
gone missing, so an upgrade fails at start with one line instead of mid-run.
"""

from __future__ import annotations

import argparse
import os
import sys

LLAMA_CPP_VERSION = "0.3.36"  # the version the handler is written and tested against
PROMPT_BATCH = 128  # tokens a prompt is evaluated in at a time (llama.cpp's default: 512)


def check_upstream() -> list[str]:
    """The pieces of llama-cpp-python we rely on that are missing (empty when all are there)."""
    import importlib.metadata

    from llama_cpp import llama_chat_format, llama_grammar
    from llama_cpp.server import app, settings

    missing = [
        f"{module.__name__}.{name}"
        for module, name in (
            (llama_chat_format, "LlamaChatCompletionHandlerRegistry"),
            (llama_grammar.LlamaGrammar, "from_json_schema"),
            (llama_grammar, "JSON_GBNF"),
            (app, "create_app"),
            (settings, "ModelSettings"),
            (settings, "ServerSettings"),
        )
        if not hasattr(module, name)
    ]
    version = importlib.metadata.version("llama-cpp-python")
    if version != LLAMA_CPP_VERSION:
        missing.append(f"llama-cpp-python {LLAMA_CPP_VERSION} (installed: {version})")
    return missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m button.embedded.launcher")
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=8192)
    args = parser.parse_args(argv)
    missing = check_upstream()
    if missing:
        sys.exit(f"error: llama-cpp-python: missing {', '.join(missing)}")

    import uvicorn
    from llama_cpp import llama_chat_format
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    from button.embedded.chat_handler import NATIVE_TOOLS_FORMAT, native_tools_handler
    from button.embedded.request_compat import OpenAIRequestCompat

    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()  # type: ignore[no-untyped-call]
    # our handler takes the plain dicts the server passes; upstream types them as TypedDicts
    registry.register_chat_completion_handler(NATIVE_TOOLS_FORMAT, native_tools_handler, overwrite=True)  # type: ignore[arg-type]
    # Generation on half the cores: on 2 shared cores, 2 threads made it 20x slower (0.5
    # against 12 tokens/s) whenever anything else ran. A prompt on every core: 2 threads
    # evaluated one twice as fast when idle (67 against 34 tokens/s), 25 against 36 with a
    # second server evaluating at once; a prompt is most of a request. See ARCHITECTURE.md.
    cores = os.cpu_count() or 2
    threads = max(1, cores // 2)
    model = ModelSettings(
        model=args.model,
        model_alias=args.alias,
        chat_format=NATIVE_TOOLS_FORMAT,
        n_ctx=args.n_ctx,
        # A seeded request keeps whole batches of the last prompt (``prompt_reuse``): smaller
        # batches keep more of a shared prefix. 128 against llama.cpp's 512 kept the first 768 of
        # 872 common tokens, not 512, at the same speed from scratch (64 was 8% slower there).
        n_batch=PROMPT_BATCH,
        n_threads=threads,
        n_threads_batch=cores,
        # No prompt cache: llama-cpp-python's RAM cache counts only llama.cpp's state against
        # its capacity, while each entry also copies up to n_batch x n_vocab logits (311 MB for
        # Qwen's 152k vocabulary); a run's server grew past 7 GB and was killed for memory.
        cache=False,
        verbose=False,
    )
    server = ServerSettings(host="127.0.0.1", port=args.port)
    app = OpenAIRequestCompat(create_app(server_settings=server, model_settings=[model]))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
