"""JSON decoding that notices a key given twice in one object.

Python's ``json`` keeps the last of two equal keys without a word, so
``{"city": "Oslo", "city": "Rome"}`` silently means Rome. ``decode`` returns the
value as ``json.loads`` would and the first repeated key, located by its path.
Each place decides what a repeat means: a task file refuses it
(``button.validation.taskfile``), a model's tool call with one is an invalid call
(``harness.run.mcp_tools``, ``harness.score.calls``), and MCP arguments with
one are a tool error (``mcp_servers.repeated_keys``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from button.errors import clip
from button.validation.task_rules import json_path


@dataclass(frozen=True)
class RepeatedKey:
    """A key given more than once in one object, and where that object is."""

    path: tuple[str | int, ...]  # of the object holding the key
    key: str

    def __str__(self) -> str:
        where = f" in {clip(json_path(self.path), 200)}" if self.path else ""
        return f"key {clip(self.key, 100)!r} is given twice{where}"


class _WithRepeats(dict[str, Any]):
    """An object that had a key more than once (its last value kept, as ``json`` does)."""

    repeated: str = ""


def decode(text: str | bytes) -> tuple[Any, RepeatedKey | None]:
    """The JSON value of ``text`` and its first repeated key in document order, or None.

    Raises ``json.JSONDecodeError`` (a ``ValueError``) as ``json.loads`` does.
    """
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        value = dict(items)
        if len(value) == len(items):
            return value
        found = True
        marked = _WithRepeats(value)
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                marked.repeated = key
                break
            seen.add(key)
        return marked

    value = json.loads(text, object_pairs_hook=pairs)
    return value, (first_repeat(value) if found else None)


def first_repeat(value: Any) -> RepeatedKey | None:
    """The first repeated key inside a value ``decode`` returned (or a part of one), or None."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _WithRepeats):
            return RepeatedKey(path, node.repeated)
        if isinstance(node, dict):
            stack.extend(reversed([((*path, key), item) for key, item in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([((*path, index), item) for index, item in enumerate(node)]))
    return None
