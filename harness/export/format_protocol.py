"""What every export format is: a module with these names (``harness/export/*_format.py``).

``harness.export.export_run`` holds the formats by name in ``FORMATS``, typed by this
protocol, so mypy checks each module against it (names, argument and return
types); ``isinstance`` checks the names at run time.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from button.data_model.json_types import ExportRecord, ToolDefinition
from harness.export.clean_conversation import Turn


@runtime_checkable
class ExportFormat(Protocol):
    """One fine-tuning record format."""

    TRACE_FIELDS: bool  # records may carry trajectory_id and task_id; else a sidecar file names them

    def encode(self, turns: list[Turn], tools: list[ToolDefinition]) -> ExportRecord:
        """The record of one conversation, with the tools it was offered."""
        ...

    def decode(self, record: ExportRecord) -> list[Turn]:
        """The turns of a record that passed ``check``."""
        ...

    def tools(self, record: ExportRecord) -> list[ToolDefinition]:
        """The function definitions a checked record offers (``button import`` reads them)."""
        ...

    def check(self, record: ExportRecord) -> list[str]:
        """Every way the record breaks the format's rules (empty: it may be written)."""
        ...
