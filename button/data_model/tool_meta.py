"""What our MCP server says about each tool result, under ``_meta["button"]``.

``mcp_servers.tools`` writes it on every result (errors too); the harness
reads it back to count the tool simulator's tokens. A server that is not ours
may put anything under the key, so the reader validates it
(``ToolResultMeta.of_result``) and passes over what does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from button.data_model.json_types import McpMeta
from button.data_model.trajectory import Usage

META_KEY = "button"  # our key in a result's ``_meta``


class ToolResultMeta(BaseModel):
    """The episode a call was answered in, and what answering it cost."""

    episode_id: str
    model: str  # the tool simulator's model
    cache_hit: bool  # no model was asked: a cached result, or a repeat within the episode
    usage: Usage

    def as_meta(self) -> McpMeta:
        """The whole ``_meta`` of a result."""
        return {META_KEY: self.model_dump()}

    @classmethod
    def of_result(cls, meta: Mapping[str, Any] | None) -> ToolResultMeta | None:
        """Ours from a result's ``_meta``, None when the key is absent; a
        ``pydantic.ValidationError`` when something else sits under it."""
        found = (meta or {}).get(META_KEY)
        return None if found is None else cls.model_validate(found)
