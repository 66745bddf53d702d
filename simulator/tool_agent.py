"""The tool simulator: a model plays a task's functions, one call at a time.

A call is answered in four steps (ARCHITECTURE.md, "Where a behaviour lives"):

1. the arguments are validated against the function's ``parameters``; a bad
   call gets an error naming the field and the rule, never an exception;
2. the context is built: the function, the atomic task it serves
   (``Task.subtask_for``), the task's scenario and instruction, and the
   episode's earlier calls and results, so that ids and prices agree;
3. the tool model answers with JSON constrained to ``returns`` (a free-form
   object without it), validated, retried a bounded number of times
   (``ModelClient.complete_json``), else an error saying why;
4. the result is cached (``SimCache``) under a key of everything in step 2.

State is per *episode* (one conversation with one world): ``call(...,
episode_id=...)`` keeps each episode's history apart. Repeating an identical
call in an episode returns the earlier result without asking the model.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from importlib import resources
from string import Template
from typing import Any

from button.errors import ModelError, StructuredOutputError
from button.llm import ModelClient
from button.schemas import first_error
from button.task import AtomicTask, FunctionSpec, Task
from button.trajectory import Usage
from simulator.sim_cache import SimCache, canonical_json, digest

SYSTEM_PROMPT = resources.files("simulator").joinpath("prompts/tool_agent.md").read_text(encoding="utf-8")
CALL_PROMPT = Template(
    resources.files("simulator").joinpath("prompts/tool_call.md").read_text(encoding="utf-8")
)
PROMPT_VERSION = digest([SYSTEM_PROMPT, CALL_PROMPT.template])
FREE_FORM_RESULT: dict[str, Any] = {"type": "object"}
HISTORY_LIMIT = 12  # earlier calls shown to the model (a small model has a small window)
RESULT_TEXT_LIMIT = 1500  # characters of one earlier result shown to the model
EPISODE_LIMIT = 4096  # episodes remembered by one simulator; the oldest are forgotten


@dataclass(frozen=True)
class ToolCall:
    """One finished call of an episode."""

    name: str
    arguments: dict[str, Any]
    result: Any


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


class Running:
    """The place of a call still running in ``Episode.calls`` (compared by identity)."""


@dataclass
class Episode:
    """The calls of one episode in arrival order.

    A call takes its place when it starts, so concurrent calls keep their
    arrival order; a failed call gives its place up (it never happened in this world).
    """

    calls: list[ToolCall | Running] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def history(self) -> list[ToolCall]:
        return [call for call in self.calls if isinstance(call, ToolCall)]

    def start(self) -> Running:
        place = Running()
        self.calls.append(place)
        return place

    def finish(self, place: Running, call: ToolCall | None) -> None:
        """Put the finished call in its place, or remove the place of a failed one."""
        index = self.calls.index(place)
        if call is None:
            del self.calls[index]
        else:
            self.calls[index] = call


def result_schema(spec: FunctionSpec) -> dict[str, Any]:
    """The JSON Schema a result of ``spec`` must satisfy."""
    return spec.returns if spec.returns is not None else FREE_FORM_RESULT


def is_object_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object"


def argument_error(spec: FunctionSpec, arguments: dict[str, Any]) -> str | None:
    """Why ``arguments`` do not fit the function's ``parameters`` (first problem), or None."""
    error = first_error(spec.function.parameters, arguments)
    if error is None:
        return None
    where, message = error
    return f"invalid arguments for {spec.name}: " + (f"{where!r}: {message}" if where else message)


class ToolSimulator:
    """Plays every function of one task; one history per episode."""

    def __init__(self, task: Task, client: ModelClient, *, cache: SimCache | None = None) -> None:
        self.task = task
        self.client = client
        self.cache = cache
        self.episodes: OrderedDict[str, Episode] = OrderedDict()

    def episode(self, episode_id: str) -> Episode:
        episode = self.episodes.get(episode_id)
        if episode is None:
            episode = self.episodes[episode_id] = Episode()
            while len(self.episodes) > EPISODE_LIMIT:
                self.episodes.popitem(last=False)
        self.episodes.move_to_end(episode_id)
        return episode

    async def call(self, name: str, arguments: dict[str, Any], *, episode_id: str) -> SimulatedResult:
        """Answer one call in an episode and remember it there."""
        episode = self.episode(episode_id)
        history = episode.history()
        earlier = _same_call(history, name, arguments)
        if earlier is not None:
            return SimulatedResult(value=earlier.result, cache_hit=True)
        place = episode.start()
        try:
            result = await self.simulate(name, arguments, history)
        except BaseException:  # cancelled or broken: the call never happened in this world
            episode.finish(place, None)
            raise
        episode.finish(place, ToolCall(name, arguments, result.value) if result.ok else None)
        episode.usage.add(result.usage)
        return result

    async def simulate(
        self, name: str, arguments: dict[str, Any], history: list[ToolCall]
    ) -> SimulatedResult:
        """Answer one call given the earlier calls; no episode state."""
        spec = self.task.function(name)
        if spec is None:
            return SimulatedResult(error=f"unknown tool {name!r}")
        problem = argument_error(spec, arguments)
        if problem is not None:
            return SimulatedResult(error=problem)
        shown = history[-HISTORY_LIMIT:]
        step = self.task.subtask_for(name, arguments)
        key = self.cache_key(spec, arguments, shown, step)
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
                self.messages(spec, arguments, shown, step), asked, name=name
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
        self, spec: FunctionSpec, arguments: dict[str, Any], history: list[ToolCall], step: AtomicTask | None
    ) -> list[dict[str, Any]]:
        """The chat messages that ask the tool model for one result (``step``: the subtask it serves)."""
        lines = [
            f"{i}. {call.name}({canonical_json(call.arguments)}) -> {_clip(canonical_json(call.result))}"
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
            arguments=canonical_json(arguments),
        )
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def cache_key(
        self, spec: FunctionSpec, arguments: dict[str, Any], history: list[ToolCall], step: AtomicTask | None
    ) -> str:
        """A digest of everything that shapes the result (never the endpoint's URL: ports change)."""
        return digest(
            {
                "model": self.client.model,
                "prompt": PROMPT_VERSION,
                "function": spec.model_dump(mode="json"),
                "task": [self.task.scenario, self.task.instruction, step.instruction if step else None],
                "arguments": arguments,
                "history": [[call.name, call.arguments, call.result] for call in history],
            }
        )


def _same_call(history: list[ToolCall], name: str, arguments: dict[str, Any]) -> ToolCall | None:
    wanted = canonical_json(arguments)
    return next(
        (call for call in history if call.name == name and canonical_json(call.arguments) == wanted), None
    )


def _clip(text: str) -> str:
    return text if len(text) <= RESULT_TEXT_LIMIT else text[: RESULT_TEXT_LIMIT - 3] + "..."
