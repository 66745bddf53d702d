"""The tool simulator: a model plays a task's functions, one call at a time.

A call is answered in four steps (ARCHITECTURE.md, "Where a behaviour lives"):

1. the arguments are validated against the function's ``parameters`` and
   refused when they hold a template slot such as ``<order-id>``
   (``button.validation.placeholders``); a bad call gets an error naming the field
   and the rule, never an exception;
2. the context is built: the function, the atomic task it serves
   (``Task.subtask_for``), the task's scenario and instruction, and the
   episode's earlier calls and results, so that ids and prices agree; every
   value in it is clipped with a marker (``messages``);
3. the tool model answers with JSON constrained to ``returns`` (a free-form
   object without it), validated, retried a bounded number of times
   (``ModelClient.complete_json``), else an error saying why;
4. the result is cached (``SimCache``) under a key of everything in step 2.

State is per *episode* (one conversation with one world): ``call(...,
episode_id=...)`` keeps each episode's history apart, in a store bounded by
bytes (``simulator.episodes``). Repeating an identical call in an episode
returns the earlier result without asking the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from string import Template
from typing import Any

from button.data_model.json_types import ChatMessage, JsonSchema, ToolArguments
from button.data_model.task import AtomicTask, FunctionSpec, Task
from button.data_model.trajectory import Usage
from button.errors import ModelError, StructuredOutputError
from button.llm.client import ModelClient
from button.validation.placeholders import placeholder_in
from button.validation.schemas import first_error
from simulator.episodes import HISTORY_SHOWN, Episode, EpisodeStore, Given, ToolCall, clipped, stands_for
from simulator.episodes import shown as shown_arguments
from simulator.sim_cache import SimCache, canonical_json, digest

SYSTEM_PROMPT = resources.files("simulator").joinpath("prompts/tool_simulator.md").read_text(encoding="utf-8")
CALL_PROMPT = Template(
    resources.files("simulator").joinpath("prompts/tool_call.md").read_text(encoding="utf-8")
)
PROMPT_VERSION = digest([SYSTEM_PROMPT, CALL_PROMPT.template])
FREE_FORM_RESULT: JsonSchema = {"type": "object"}
RESULT_TEXT_LIMIT = 1500  # characters of one earlier result shown to the model
ARGUMENTS_SHOWN = 8000  # characters of the call's own arguments shown to the model


@dataclass
class SimulatedResult:
    """The answer to one call: a value, or an error text for an MCP tool error."""

    value: Any = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    cache_hit: bool = False  # from the cache or an identical earlier call: no model call

    @property
    def ok(self) -> bool:
        return self.error is None


def result_schema(spec: FunctionSpec) -> JsonSchema:
    """The JSON Schema a result of ``spec`` must satisfy."""
    return spec.returns if spec.returns is not None else FREE_FORM_RESULT


def is_object_schema(schema: JsonSchema) -> bool:
    return schema.get("type") == "object"


def argument_error(spec: FunctionSpec, arguments: ToolArguments) -> str | None:
    """Why ``arguments`` do not fit the function's ``parameters`` (first problem), or None.

    A template slot such as ``<order-id>`` is refused too (``button.validation.placeholders``).
    """
    error = first_error(spec.function.parameters, arguments)
    if error is None:
        slot = placeholder_in(arguments)
        if slot is None:
            return None
        error = (
            slot[0],
            f"{clipped(slot[1], 200)!r} is a placeholder, not a value: get the value first"
            " (call the function that returns it, or ask the user), then call again",
        )
    where, message = error
    return f"invalid arguments for {spec.name}: " + (
        f"{clipped(where, 200)!r}: {message}" if where else message
    )


class ToolSimulator:
    """Plays every function of one task; one history per episode.

    Episodes live in ``episodes``, a store bounded by bytes that several
    simulators may share (``button serve`` shares one among its tasks).
    """

    def __init__(
        self,
        task: Task,
        client: ModelClient,
        *,
        cache: SimCache | None = None,
        episodes: EpisodeStore | None = None,
    ) -> None:
        self.task = task
        self.client = client
        self.cache = cache
        self.episodes = episodes if episodes is not None else EpisodeStore()

    def episode(self, episode_id: str) -> Episode:
        return self.episodes.episode((self.task.id, episode_id))

    async def call(self, name: str, arguments: ToolArguments, *, episode_id: str) -> SimulatedResult:
        """Answer one call in an episode and remember it there."""
        key = (self.task.id, episode_id)
        episode = self.episodes.episode(key)
        given = Given.of(arguments)
        earlier = episode.same_call(name, given)
        if earlier is not None:
            return SimulatedResult(value=earlier.result, cache_hit=True)
        history = episode.history()
        place = episode.start()
        try:
            result = await self.simulate(name, given, history)
        except BaseException:  # cancelled or broken: the call never happened in this world
            self.episodes.finish(key, episode, place, None)
            raise
        self.episodes.finish(
            key, episode, place, ToolCall.of(name, given, result.value) if result.ok else None
        )
        episode.usage.add(result.usage)
        return result

    async def simulate(self, name: str, given: Given, history: list[ToolCall]) -> SimulatedResult:
        """Answer one call given the earlier calls; no episode state."""
        spec = self.task.function(name)
        if spec is None:
            return SimulatedResult(error=f"unknown tool {clipped(name, 200)!r}")
        problem = argument_error(spec, given.value)
        if problem is not None:
            return SimulatedResult(error=problem)
        shown = history[-HISTORY_SHOWN:]
        step = self.task.subtask_for(name, given.value)
        key = self.cache_key(spec, given, shown, step)
        if self.cache is not None:
            hit, value = await self.cache.get(key)
            if hit:
                return SimulatedResult(value=value, cache_hit=True)
        schema = result_schema(spec)
        wrapped = not is_object_schema(schema)  # ask for {"result": ...}: JSON mode wants an object
        asked = (
            {"type": "object", "properties": {"result": schema}, "required": ["result"]}
            if wrapped
            else schema
        )
        try:
            value, usage = await self.client.complete_json(
                self.messages(spec, given, shown, step), asked, name=name
            )
        except StructuredOutputError as error:
            return SimulatedResult(
                error=f"the tool simulator gave no valid result: {error}", usage=error.usage or Usage()
            )
        except ModelError as error:
            return SimulatedResult(error=f"the tool simulator's model failed: {error}")
        if wrapped:
            value = value["result"]
        if self.cache is not None:
            await self.cache.put(key, value)
        return SimulatedResult(value=value, usage=usage)

    def messages(
        self, spec: FunctionSpec, given: Given, history: list[ToolCall], step: AtomicTask | None
    ) -> list[ChatMessage]:
        """The chat messages that ask the tool model for one result (``step``: the subtask it serves).

        Each value in it is clipped with a marker saying its full size: an earlier
        call's arguments (``ARGUMENTS_KEPT``) and result (``RESULT_TEXT_LIMIT``),
        this call's arguments (``ARGUMENTS_SHOWN``).
        """
        lines = [
            f"{i}. {call.name}({shown_arguments(call.arguments)}) -> "
            f"{clipped(canonical_json(call.result), RESULT_TEXT_LIMIT)}"
            for i, call in enumerate(history, 1)
        ]
        user = CALL_PROMPT.substitute(
            scenario=self.task.scenario or "(not stated)",
            instruction=self.task.instruction or "(not stated)",
            step=step.instruction if step else "(not stated)",
            name=spec.name,
            description=spec.function.description or "(none)",
            returns=canonical_json(result_schema(spec)),
            history="\n".join(lines) or "(none yet)",
            arguments=clipped(given.text, ARGUMENTS_SHOWN),
        )
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def cache_key(
        self, spec: FunctionSpec, given: Given, history: list[ToolCall], step: AtomicTask | None
    ) -> str:
        """A digest of everything that shapes the result (never the endpoint's URL: ports change)."""
        return digest(
            {
                "model": self.client.model,
                "prompt": PROMPT_VERSION,
                "function": spec.model_dump(mode="json"),
                "task": [self.task.scenario, self.task.instruction, step.instruction if step else None],
                "arguments": given.value,
                "history": [[call.name, stands_for(call.arguments), call.result] for call in history],
            }
        )
