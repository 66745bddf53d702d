"""The rows the synthesis stages pass on and record, one type a stage's output.

A row is a JSON object in the stage's file of the work dir (``stage_store``)
and the input of the next stage, so these are ``TypedDict``s: the stages read
and build them as the JSON they are, and mypy knows every key. Each stage's
output is the next one's input, in the order below; the last stage writes the
finished task (``simulator.synthesis.plan.build_task``, a ``Task``'s JSON).
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypedDict

from button.data_model.json_types import JsonSchema, ToolArguments


class ConversationRow(TypedDict):
    """An input from ``--conversations``: where it came from and what was said."""

    source: str  # FILE:LINE
    transcript: str  # the labelled turns the model reads
    user_text: str  # every user turn, joined


class ScenarioSource(TypedDict, total=False):
    """The input of the scenario stage: a ``domain`` to generate one in, or the scenario
    ``text`` (from ``--scenarios``, or extracted from a conversation at ``source``)."""

    domain: str
    text: str
    source: str


class Scenario(TypedDict):
    id: str
    text: str


class AtomicTasks(TypedDict):
    """The atomic tasks written for one scenario."""

    scenario_id: str
    scenario: str
    tasks: list[str]


class AtomicTaskRow(TypedDict):
    """One atomic task with its scenario (the input and output of atomic verification)."""

    scenario_id: str
    scenario: str
    text: str


class CompositionInput(AtomicTaskRow):
    strategy: str  # a ``button.data_model.task.Strategy`` value


class Subtask(TypedDict):
    id: str
    instruction: str
    depends_on: list[str]


class Composition(TypedDict):
    scenario_id: str
    scenario: str
    strategy: str
    subtasks: list[Subtask]


class InstructedComposition(Composition):
    """A verified composition with the instruction the user says."""

    instruction: str


class FunctionJson(TypedDict):
    """The ``function`` part of a synthesized function's tool definition."""

    name: str
    description: str
    parameters: JsonSchema


class SynthesizedFunction(TypedDict):
    """A synthesized function: an OpenAI tool definition plus ``returns`` (a task file's
    ``button.data_model.task.FunctionSpec``, as JSON)."""

    type: str  # "function"
    function: FunctionJson
    returns: JsonSchema


class SubtaskCall(TypedDict):
    """The call that solves a subtask: its function and arguments (literals, or
    ``{"from": "sN.field"}`` / ``{"from_all": [...]}`` references to subtasks)."""

    function: str
    arguments: ToolArguments


class WithFunctions(InstructedComposition):
    functions: list[SynthesizedFunction]
    calls: dict[str, SubtaskCall]  # subtask id -> its call


class PlannedCallJson(TypedDict):
    """A call of the derived plan (``button.data_model.task.PlannedCall`` as JSON)."""

    id: str
    name: str
    arguments: ToolArguments
    subtask: str


TaskJson: TypeAlias = dict[str, Any]
"""The last stage's row: a finished ``button.data_model.task.Task`` as the task file
holds it (``Task.model_dump(mode="json", exclude_none=True)``, after ``Task.model_validate``
and the task rules accepted it)."""
