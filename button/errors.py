"""One error tree for the whole project.

Every error we raise on purpose is a ``ButtonError``. It carries ``where`` (a
file, ``file:line``, a task index, a field path or an endpoint) and ``what``
(the reason), so the CLI can print ``error: WHERE: WHAT`` without a traceback.

    ButtonError
    ├── InputError                  bad input from the user: exit code 2
    │   ├── TaskFileError           a task file that does not load or validate
    │   ├── RunFileError            a trajectory/score file or run directory
    │   └── ConfigError             flags, environment, a changed run config
    ├── RuntimeFailure              something failed while working: exit code 1
    │   ├── EmbeddedModelError      the embedded llama.cpp server did not start
    │   ├── ModelError              a model endpoint failed (after retries)
    │   │   └── StructuredOutputError   output that is not the JSON asked for
    │   └── ToolServerError         an MCP tool server failed or went away
    └── BudgetReached               a --budget-* cap left work unstarted: exit code 3

Foreign errors (openai, httpx2, mcp, jsonschema) are mapped to these at the
module that talks to the foreign library, never further out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotation only: the error tree imports nothing of ours at run time
    from button.data_model.trajectory import Usage


class ButtonError(Exception):
    """Base of every error we raise on purpose."""

    exit_code = 1
    label = "error"  # how the CLI's one line starts

    def __init__(self, what: str, where: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


class InputError(ButtonError):
    """The user gave us something we cannot use."""

    exit_code = 2


class TaskFileError(InputError):
    """A task file that does not parse or does not validate."""


class RunFileError(InputError):
    """A run directory, trajectory file or score file that cannot be used."""


class ConfigError(InputError):
    """Bad flags or environment, or a run config that changed."""


class RuntimeFailure(ButtonError):
    """Something failed while working."""

    exit_code = 1


class EmbeddedModelError(RuntimeFailure):
    """The embedded llama.cpp server could not be started or stopped."""


class ModelError(RuntimeFailure):
    """A model endpoint failed, after any retries."""


class StructuredOutputError(ModelError):
    """A model returned output that is not the JSON value asked for."""

    usage: Usage | None = None  # what its failed tries cost (set by button.llm.structured)


class ToolServerError(RuntimeFailure):
    """An MCP tool server could not be reached or failed."""


class BudgetReached(ButtonError):
    """A ``--budget-usd`` or ``--budget-tokens`` cap was reached with work left: nothing new
    was started, what had started finished and was recorded; a rerun with a higher cap
    continues."""

    exit_code = 3
    label = "stopped"


def clip(text: str, limit: int = 300) -> str:
    """``text`` on one line, at most about ``limit`` characters; a clipped text says its full size."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}... ({len(flat):,} characters, clipped)"
