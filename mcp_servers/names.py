"""Names a client sees: MCP config keys and server names valid as OpenAI tool-name prefixes.

Clients build tool names from the server's key or name (Claude Code:
``mcp__<key>__<tool>``; the OpenAI Agents SDK and others: ``<key>_<tool>``),
and OpenAI accepts only ``^[a-zA-Z0-9_-]{1,64}$``. A task id may hold dots
and be long, so the key keeps letters, digits, ``_`` and ``-``, and a long
one is cut with a short hash of the whole id, so different ids stay apart.
"""

from __future__ import annotations

import hashlib
import re

OPENAI_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KEY_MAX = 32  # leaves room for the tool's own name within OpenAI's 64


def server_key(task_id: str) -> str:
    """``button_<task id>`` with every other character as ``_``, at most ``KEY_MAX`` long."""
    key = "button_" + re.sub(r"[^A-Za-z0-9_-]+", "_", task_id).strip("_")
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(task_id.encode()).hexdigest()[:6]
    return f"{key[: KEY_MAX - len(digest) - 1].rstrip('_')}_{digest}"
