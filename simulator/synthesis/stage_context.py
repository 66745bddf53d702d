"""What every stage shares: the synth model behind a concurrency bound, prompt files, drops,
and what each row's calls cost.

A row starts with its first model call. Before that call the context asks
its ``budget`` whether a cap is reached; if so the row does not start
(``NotStarted``), while rows that have started go on to the end."""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
from collections.abc import Callable
from importlib import resources
from string import Template
from typing import Any, TypeVar, cast

from button.data_model.json_types import JsonSchema
from button.data_model.trajectory import Usage
from button.errors import StructuredOutputError
from button.llm.client import ModelClient

PROMPT_PREFIX = "synth_"
T = TypeVar("T")


class NotStarted(Exception):
    """A row was not started: a budget cap is reached (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DropReason(enum.StrEnum):
    """Why a row was dropped: the code the report counts and the stage files keep."""

    TOO_SHORT = "rule: too short"
    TOO_LONG = "rule: too long"
    MARKUP = "rule: has markup or code characters"
    TOO_FEW_WORDS = "rule: too few words"
    NAMES_TOOL = "rule: names a tool or identifier"
    NO_DETAIL = "rule: no concrete detail"
    OFF_SCENARIO = "rule: off the scenario"
    REPEATS_SUBTASK = "rule: repeats a subtask"
    INSTRUCTION_NAMES_TOOL = "rule: instruction names a tool"
    INSTRUCTION_NAMES_STEP = "rule: instruction names a step"
    INSTRUCTION_ASKS_FOR_STEPS = "rule: instruction asks for steps"
    INSTRUCTION_MISSES_SUBTASK = "rule: instruction misses a subtask"
    OFF_CONVERSATION = "rule: off the conversation"
    NAME_NOT_IN_CONVERSATION = "rule: a name not in the conversation"
    ARGUMENT_NOT_BOOLEAN = "rule: argument not a boolean"
    ARGUMENT_NOT_INTEGER = "rule: argument not an integer"
    ARGUMENT_NOT_IN_TASK = "rule: argument not in task"
    FUNCTION_NOT_GENERIC = "rule: function not generic"
    NAMED_AFTER_STEP = "rule: field named after a step"
    NO_ARGUMENT = "rule: a first step's call with no argument"
    NO_DATA_FLOW = "rule: no data flow"
    FED_ANOTHER_KIND = "rule: fed a result of another kind"
    NUMBER_LEFT_OUT = "rule: a number the step states is left out"
    NAME_LEFT_OUT = "rule: a name the step states is left out"
    INVALID_SCHEMA = "rule: invalid schema"
    FEWER_THAN_TWO_CALLS = "rule: fewer than two calls"
    NEAR_DUPLICATE = "near-duplicate"
    BAD_LENGTH = "bad length"
    NO_USER_MESSAGE = "no user message"
    NO_ATOMIC_TASKS = "no atomic tasks"
    TASK_RULE = "task rule"
    MORE_THAN_ONE_CALL = "model: needs more than one call"
    DETAILS_MISSING = "model: details missing"
    SUBTASKS_INCOMPLETE = "model: subtasks incomplete"
    MODEL_OUTPUT_INVALID = "model output invalid"

    @property
    def resampled(self) -> bool:
        """A rule or the schema refused what the model wrote, so another sample may pass
        (a stage with ``tries`` asks again). A model's verdict is not asked again."""
        return self.value.startswith("rule:") or self is DropReason.MODEL_OUTPUT_INVALID


class Dropped(Exception):
    """A row is dropped: ``reason`` is the code for the report, ``detail`` says more."""

    def __init__(self, reason: DropReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def prompt_text(name: str) -> str:
    path = resources.files("simulator").joinpath(f"prompts/{PROMPT_PREFIX}{name}.md")
    return path.read_text(encoding="utf-8")


def prompt_messages(name: str, **values: str) -> list[dict[str, str]]:
    """The chat messages of a prompt file: its ``## system`` and ``## user`` sections,
    with ``$name`` placeholders filled in."""
    messages: list[dict[str, str]] = []
    for block in Template(prompt_text(name)).substitute(values).split("\n## ")[1:]:
        role, _, body = block.partition("\n")
        messages.append({"role": role.strip(), "content": body.strip()})
    return messages


def prompts_digest() -> str:
    """One hash over every synth prompt file: a changed prompt is a changed config."""
    digest = hashlib.sha256()
    folder = resources.files("simulator").joinpath("prompts")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith(PROMPT_PREFIX) and entry.name.endswith(".md"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def row_seed(seed: int, row: str, prompt: str, attempt: int = 0) -> int:
    """The model's sampling seed for one prompt of one row's try: the same on every
    rerun and resume, different across rows, prompts and tries (31 bits, as llama.cpp takes)."""
    tried = f"{row}#{attempt}" if attempt else row
    digest = hashlib.sha256(f"{seed}\0{tried}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class SynthContext:
    """The synth model, asked through prompt files with a bound on calls in flight."""

    def __init__(
        self,
        client: ModelClient,
        concurrency: int,
        seed: int = 0,
        budget: Callable[[], str | None] | None = None,
    ) -> None:
        self.client = client
        self.seed = seed
        self.budget = budget  # which cap is reached, or None
        self._slots = asyncio.Semaphore(concurrency)
        self._rows: dict[str, Usage] = {}  # started rows of the running stage -> their usage
        self._attempts: dict[str, int] = {}  # row -> its try (0: the first)
        self._notes: dict[str, str] = {}  # row -> why its last try was refused, for its next
        self._verdicts: dict[tuple[str, str], Any] = {}  # (row, what was asked) -> a check's answer
        self._kept: dict[str, Any] = {}  # row -> what its earlier tries built that a later try keeps

    def start_attempt(self, row: str, attempt: int, note: str = "") -> None:
        """Ask ``row``'s next prompts with the seeds of its try ``attempt``, and its writing
        prompts with ``note`` (why the last try was refused) after their last message."""
        self._attempts[row] = attempt
        self._notes[row] = note

    def kept_across_tries(self, row: str, make: Callable[[], T]) -> T:
        """The work ``row``'s earlier tries left for its later ones (made by ``make`` on its
        first try): a stage whose row is written in parts redoes only the refused part."""
        if row not in self._kept:
            self._kept[row] = make()
        return cast(T, self._kept[row])

    def take_usage(self, row: str) -> Usage | None:
        """What ``row``'s calls cost (None: it made none); the row is done with."""
        self._attempts.pop(row, None)
        self._notes.pop(row, None)
        self._kept.pop(row, None)
        for asked in [key for key in self._verdicts if key[0] == row]:
            del self._verdicts[asked]
        return self._rows.pop(row, None)

    async def ask(
        self, row: str, prompt: str, schema: JsonSchema, *, check: bool = False, **values: str
    ) -> Any:
        """A JSON value valid against ``schema``, sampled with ``row``'s seed; the
        schema's title names the prompt. A ``check`` (a verification stage) is asked
        at temperature 0 whatever the synth temperature: the 1.5B model's verdicts on
        tests/simulator/atomic_cases.py agreed with a careful reader's in 11 of 14
        cases greedy, 8 of 14 at its default 0.8. A check is asked once: a later try
        of the row that asks the same gets the same answer."""
        asked = (row, json.dumps([prompt, values], sort_keys=True))
        if check and asked in self._verdicts:
            return self._verdicts[asked]
        sampling = {"temperature": 0.0} if check else {}
        titled = {"title": f"{PROMPT_PREFIX}{prompt}", **schema}
        async with self._slots:
            if row not in self._rows:
                reached = self.budget() if self.budget is not None else None
                if reached is not None:
                    raise NotStarted(reached)
                self._rows[row] = Usage()
            messages = prompt_messages(prompt, **values)
            note = "" if check else self._notes.get(row, "")
            if note:
                messages[-1]["content"] += f"\n\n{note}"
            try:
                value, usage = await self.client.complete_json(
                    messages,
                    titled,
                    name=f"{PROMPT_PREFIX}{prompt}",
                    seed=row_seed(self.seed, row, prompt, self._attempts.get(row, 0)),
                    **sampling,
                )
            except StructuredOutputError as error:
                self._rows[row].add(error.usage or Usage())
                raise
        self._rows[row].add(usage)
        if check:
            self._verdicts[asked] = value
        return value


# Plain one-line text: no markup, escapes or JSON fragments in fields. The length
# bounds reach llama.cpp's grammar; the pattern is checked by jsonschema after the
# call (a pattern beside length bounds is left out of what llama.cpp sees, see
# button.llm.structured.grammar_safe), and a mismatch is asked for again.
PLAIN_TEXT_CHARS = r"A-Za-z0-9_ ,.:;'()$%/?!+@-"


def text_field(min_length: int, max_length: int) -> JsonSchema:
    return {
        "type": "string",
        "pattern": f"^[{PLAIN_TEXT_CHARS}]*$",
        "minLength": min_length,
        "maxLength": max_length,
    }
