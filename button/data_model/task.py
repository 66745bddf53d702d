"""The task data model: compositional tasks, their atomic subtasks, functions and plan.

These models check the *shape* of a task (fields and types). The rules that
span fields (schemas against the metaschema, dependency cycles, plan
references) live in ``button.validation.task_rules`` so that each error can name its
field path.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from button.data_model.json_types import JsonSchema, ToolArguments, ToolDefinition
from button.data_model.plan_refs import (  # re-exported: the reference forms belong to the task model
    ChoiceFrom,
    Computed,
    ComputedFrom,
    FromAll,
    FromRef,
    Reference,
    argument_source,
    parse_ref,
    resolve_path,
)

__all__ = [
    "AtomicTask",
    "ChoiceFrom",
    "Computed",
    "ComputedFrom",
    "FromAll",
    "FromRef",
    "FunctionDef",
    "FunctionSpec",
    "PlanGroup",
    "PlannedCall",
    "Reference",
    "Strategy",
    "Task",
    "argument_source",
    "parse_ref",
    "resolve_path",
]

TASK_ID_PATTERN = r"^[A-Za-z0-9_.-]+$"  # subtask and plan call ids
FUNCTION_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
TASK_ID_MAX = 128
_TASK_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def check_task_id(value: str) -> str:
    """A task id is a URL path segment (``/tasks/<id>/mcp``) and a CLI argument (``--task ID``):
    letters, digits, ``_``, ``.``, ``-``; not starting with ``.`` or ``-`` (so never ``.``,
    ``..`` or a flag); at most ``TASK_ID_MAX`` characters."""
    if not _TASK_ID.fullmatch(value) or len(value) > TASK_ID_MAX:
        raise ValueError(
            f"task id {value[:TASK_ID_MAX]!r} must be 1 to {TASK_ID_MAX} letters, digits, '_', '.' "
            "or '-', not starting with '.' or '-' (it is a URL path segment and a command-line argument)"
        )
    return value


TaskId = Annotated[str, AfterValidator(check_task_id)]


class Strategy(enum.StrEnum):
    """How a compositional task was built from its atomic tasks."""

    SEQUENTIAL = "sequential"
    PARALLEL_THEN_SEQUENTIAL = "parallel-then-sequential"
    SINGLE = "single"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FunctionDef(_Strict):
    """The ``function`` part of an OpenAI tool object."""

    name: str = Field(pattern=FUNCTION_NAME_PATTERN)
    description: str = ""
    parameters: JsonSchema = Field(default_factory=lambda: {"type": "object", "properties": {}})


class FunctionSpec(_Strict):
    """An OpenAI tool object plus ``returns``: the JSON Schema of its result."""

    type: str = Field(default="function", pattern="^function$")
    function: FunctionDef
    returns: JsonSchema | None = None

    @property
    def name(self) -> str:
        return self.function.name

    def openai_tool(self) -> ToolDefinition:
        """The tool object as the OpenAI API takes it (without ``returns``)."""
        return {"type": "function", "function": self.function.model_dump()}


class AtomicTask(_Strict):
    """A subtask solvable by one function call."""

    id: str = Field(pattern=TASK_ID_PATTERN)
    instruction: str
    depends_on: list[str] = Field(default_factory=list)
    function: str | None = None


class PlannedCall(_Strict):
    """One expected call. Argument values are literals or references (see below).

    ``subtask`` names the atomic task this call solves, when the task file says so.
    """

    id: str = Field(pattern=TASK_ID_PATTERN)
    name: str
    arguments: ToolArguments = Field(default_factory=dict)
    subtask: str | None = None


PlanGroup = list[PlannedCall]


class Task(_Strict):
    """One compositional task. A task file holds many."""

    id: TaskId
    strategy: Strategy
    scenario: str
    instruction: str
    subtasks: list[AtomicTask] = Field(default_factory=list)
    functions: list[FunctionSpec] = Field(default_factory=list)
    plan: list[PlanGroup] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    def function(self, name: str) -> FunctionSpec | None:
        return next((f for f in self.functions if f.name == name), None)

    def subtask(self, subtask_id: str) -> AtomicTask | None:
        return next((s for s in self.subtasks if s.id == subtask_id), None)

    def subtask_for(self, function_name: str, arguments: ToolArguments | None = None) -> AtomicTask | None:
        """The atomic task a function was made for.

        When plan calls of this function name their subtask, the one whose
        literal arguments best agree with ``arguments`` gives it. Without such
        links, and when several subtasks use the function (two share prices),
        the best-agreeing plan call picks the subtask at its position (only
        when calls and subtasks pair one to one); else the first subtask
        naming the function.
        """
        actual = arguments or {}
        calls = self.planned_calls()
        linked: list[tuple[PlannedCall, AtomicTask]] = []
        for call in calls:
            step = self.subtask(call.subtask) if call.subtask and call.name == function_name else None
            if step is not None:
                linked.append((call, step))
        if linked:
            return max(linked, key=lambda pair: _agreement(pair[0].arguments, actual))[1]
        named = [s for s in self.subtasks if s.function == function_name]
        positions = [i for i, call in enumerate(calls) if call.name == function_name]
        if len(named) != 1 and positions and len(calls) == len(self.subtasks):
            best_at = max(positions, key=lambda i: _agreement(calls[i].arguments, actual))
            return self.subtasks[best_at]
        return named[0] if named else None

    def planned_calls(self) -> list[PlannedCall]:
        return [call for group in self.plan or [] for call in group]


def _agreement(planned: ToolArguments, actual: ToolArguments) -> int:
    """How many literal planned arguments the actual arguments repeat."""
    return sum(
        1 for key, value in planned.items() if argument_source(value) is None and actual.get(key) == value
    )
