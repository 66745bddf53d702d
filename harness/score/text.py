"""Message text and JSON decoding, shared by the scorer, the judge, export and replay."""

from __future__ import annotations

import json
from typing import Any


def message_text(content: Any) -> str:
    """Message content as text (OpenAI content may be a list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def parse_json_text(text: str) -> Any:
    """A JSON value, or None when the text is not JSON."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
