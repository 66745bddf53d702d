"""MCP tool calls whose arguments give a key twice are answered as invalid calls.

The MCP SDK decodes each request before any of our code sees it, and JSON
decoding keeps the last of two equal keys without a word: ``{"city": "Oslo",
"city": "Rome"}`` would be simulated as Rome. So the raw request is looked at
first, on each transport, and a ``tools/call`` whose arguments repeat a key is
marked in its ``_meta`` under ``MARK``; the tool (``mcp_servers.tools``) then
answers it with a tool error naming the key, as it answers any bad
arguments, and the episode does not remember it.

- HTTP: ``mcp_servers.http_app`` reads each POST body whole and passes on
  ``mark(body)`` when there is one.
- stdio: ``marked_stdin`` puts a pipe in front of the SDK's standard input and
  copies the real one into it line by line, marked when it must be.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from button.validation import json_keys

MARK = "button/repeated_key"  # in a marked call's _meta: what was repeated, as a sentence


def mark(body: bytes) -> bytes | None:
    """``body`` (a JSON-RPC message or batch) with its repeating tool calls marked; None if none."""
    if b"tools/call" not in body:
        return None
    try:
        value, repeat = json_keys.decode(body)
    except (ValueError, RecursionError):  # not JSON: the SDK answers it
        return None
    if repeat is None:
        return None
    messages = value if isinstance(value, list) else [value]
    marked = [_mark_call(message) for message in messages]
    return json.dumps(value).encode() if any(marked) else None


def _mark_call(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return False
    params = message.get("params")
    arguments = params.get("arguments") if isinstance(params, dict) else None
    repeat = json_keys.first_repeat(arguments) if isinstance(arguments, dict) else None
    if repeat is None:
        return False
    assert isinstance(params, dict)
    meta = params.get("_meta")
    params["_meta"] = {**(meta if isinstance(meta, dict) else {}), MARK: str(repeat)}
    return True


@contextmanager
def marked_stdin() -> Iterator[None]:
    """Within the block, file descriptor 0 is a pipe that carries the real standard input,
    line by line, marked when it must be; the end of the real input ends the pipe."""
    saved = os.dup(0)
    source = os.dup(0)
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)

    def copy() -> None:
        with open(source, "rb") as lines, open(write_end, "wb", buffering=0) as pipe:
            try:
                for line in lines:
                    marked = mark(line)
                    pipe.write(line if marked is None else marked + b"\n")
            except OSError:  # the server stopped reading: it is shutting down
                return

    threading.Thread(target=copy, name="button-stdin", daemon=True).start()
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)
